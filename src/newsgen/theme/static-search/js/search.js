// The search page (search.html): asks the site's Pagefind index through pagefind.js and
// lists what it finds. The form's data-* attributes give the index's address, the ids of
// the status line and of the results, and every word shown, so nothing here is language
// specific. Results are built as text nodes: a title or an excerpt is never parsed as HTML.

const RESULTS_SHOWN = 20;
const TYPING_PAUSE_MS = 300;

const form = document.querySelector("form[data-search]");
if (form) start(form);

function start(form) {
  const input = form.querySelector("input[name=q]");
  const status = document.getElementById(form.dataset.status);
  const results = document.getElementById(form.dataset.results);
  const words = form.dataset;
  const plural = new Intl.PluralRules(document.documentElement.lang || undefined);
  let engine = null; // pagefind.js, imported at the first search
  let latest = 0; // the number of the latest search: an older one's answer is dropped
  let timer = 0;

  async function search(query) {
    const mine = ++latest;
    if (!query) {
      status.textContent = "";
      results.replaceChildren();
      return;
    }
    status.textContent = words.searching;
    try {
      engine ??= await import(form.dataset.pagefind);
      const found = await engine.search(query);
      const shown = await Promise.all(found.results.slice(0, RESULTS_SHOWN).map(r => r.data()));
      if (mine !== latest) return;
      results.replaceChildren(...shown.map(card));
      status.textContent = count(found.results.length, query);
    } catch (error) {
      if (mine !== latest) return;
      console.error(error);
      results.replaceChildren();
      status.textContent = words.failed;
    }
  }

  function count(n, query) {
    // A function as the replacement, so that "$&" in a query stays as typed.
    if (n === 0) return words.none.replace("{q}", () => query);
    const phrase = words["found" + capitalized(plural.select(n))] || words.foundOther;
    return phrase.replace("{n}", n.toLocaleString(document.documentElement.lang || undefined));
  }

  function queryInAddress() {
    return (new URLSearchParams(location.search).get("q") || "").trim();
  }

  function remember(query, replace) {
    const address = new URL(location.href);
    if (query) address.searchParams.set("q", query);
    else address.searchParams.delete("q");
    if (address.href === location.href) return;
    history[replace ? "replaceState" : "pushState"](null, "", address);
  }

  form.addEventListener("submit", event => {
    event.preventDefault();
    clearTimeout(timer);
    const query = input.value.trim();
    remember(query, false);
    search(query);
  });
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const query = input.value.trim();
      remember(query, true);
      search(query);
    }, TYPING_PAUSE_MS);
  });
  addEventListener("popstate", () => {
    input.value = queryInAddress();
    search(input.value);
  });

  input.value = queryInAddress();
  if (input.value) search(input.value);
}

function capitalized(word) {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

// One result as the site's listing pages show an article: title, excerpt, section · date.
function card(data) {
  const article = element("article", "card");
  const title = element("h2", "card-title");
  const link = element("a");
  link.href = data.url;
  link.textContent = data.meta.title || data.url;
  title.append(link);
  article.append(title);
  if (data.excerpt) article.append(excerpt(data.excerpt));
  const facts = [data.meta.section, data.meta.date].filter(Boolean);
  if (facts.length) {
    const meta = element("p", "meta");
    meta.append(...facts.map(fact => element("span", null, fact)));
    article.append(meta);
  }
  return article;
}

// Pagefind's excerpt is the record's text with '<' and '>' escaped (nothing else) and the
// words found wrapped in <mark>: those become <mark> elements, the rest text again.
function excerpt(marked) {
  const paragraph = element("p", "lede");
  const text = escaped => escaped.replace(/&lt;/g, "<").replace(/&gt;/g, ">");
  marked.split(/(<mark>.*?<\/mark>)/s).forEach(part => {
    const hit = /^<mark>(.*)<\/mark>$/s.exec(part);
    if (hit) paragraph.append(element("mark", null, text(hit[1])));
    else if (part) paragraph.append(text(part));
  });
  return paragraph;
}

function element(name, className, text) {
  const made = document.createElement(name);
  if (className) made.className = className;
  if (text !== undefined) made.textContent = text;
  return made;
}
