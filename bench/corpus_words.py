"""Word pools for the benchmark corpus (see make_corpus.py).

Kept apart from the generator so that the generator reads as logic. Every pool is a
tuple: the generator indexes into them with a seeded RNG, so their order is part of
the corpus and must not be shuffled casually (it would change every article).
"""

SECTIONS: tuple[tuple[str, int], ...] = (
    # (display name, relative weight): a newsroom is uneven, so are the sections.
    ("Мирные переговоры", 16),
    ("Политика", 17),
    ("Экономика", 15),
    ("Общество", 14),
    ("Культура", 10),
    ("World", 12),
    ("Technology", 9),
    ("Sport", 7),
)

LATIN_SECTIONS = frozenset({"World", "Technology", "Sport"})

RUSSIAN_TAGS: tuple[str, ...] = (
    "Москва", "Санкт-Петербург", "Казань", "Новосибирск", "Екатеринбург", "Владивосток",
    "Калининград", "Сочи", "Самара", "Ростов-на-Дону", "Стамбул", "Женева", "Минск",
    "Астана", "Ереван", "Тбилиси", "Анкара", "Дели", "Пекин", "Токио",
    "выборы", "Госдума", "Совет Федерации", "правительство", "бюджет", "налоги",
    "инфляция", "ключевая ставка", "курс рубля", "нефть", "газ", "санкции", "экспорт",
    "импорт", "банки", "ипотека", "пенсии", "зарплаты", "безработица", "малый бизнес",
    "транспорт", "метро", "авиация", "железные дороги", "строительство", "ЖКХ",
    "здравоохранение", "образование", "наука", "школы", "университеты", "экология",
    "климат", "погода", "лесные пожары", "наводнения", "дороги", "туризм", "театр",
    "кино", "музыка", "литература", "музеи", "выставки", "фестивали", "балет",
    "футбол", "хоккей", "биатлон", "теннис", "фигурное катание", "шахматы",
    "Олимпиада", "переговоры", "перемирие", "гуманитарная помощь", "обмен пленными",
    "дипломатия", "ООН", "ОБСЕ", "БРИКС", "ШОС", "саммит", "мигранты", "демография",
    "суд", "прокуратура", "полиция", "коррупция", "интернет", "связь", "цифровизация",
    "искусственный интеллект", "космос", "Роскосмос", "энергетика", "сельское хозяйство",
    "урожай", "продукты", "цены",
)

ENGLISH_TAGS: tuple[str, ...] = (
    "London", "Paris", "Berlin", "Washington", "New York", "Brussels", "Vienna",
    "Warsaw", "Rome", "Madrid", "Cairo", "Nairobi", "Singapore", "Seoul", "Sydney",
    "Toronto", "Mexico City", "Buenos Aires", "Dubai", "Jakarta",
    "elections", "parliament", "White House", "European Union", "NATO", "G20",
    "trade", "tariffs", "stock markets", "bonds", "central banks", "interest rates",
    "jobs report", "housing", "startups", "venture capital", "mergers", "earnings",
    "oil prices", "renewables", "solar power", "wind power", "nuclear energy",
    "electric vehicles", "batteries", "semiconductors", "smartphones", "cloud computing",
    "cybersecurity", "data privacy", "open source", "machine learning", "robotics",
    "space exploration", "satellites", "biotech", "vaccines", "public health",
    "climate change", "wildfires", "hurricanes", "drought", "agriculture", "food security",
    "refugees", "human rights", "ceasefire", "peace talks", "sanctions policy",
    "diplomacy", "United Nations", "summit", "Premier League", "Champions League",
    "Formula 1", "NBA", "tennis majors", "marathon", "cycling", "Olympics", "World Cup",
    "cricket", "rugby", "golf", "esports", "film festivals", "streaming", "video games",
    "books", "art auctions", "architecture", "fashion", "education policy", "universities",
    "supply chains", "shipping", "aviation", "railways", "inflation data",
)

# Headlines that a newsroom publishes again and again: the reason articles carry slugs.
RECURRING_HEADLINES: tuple[str, ...] = (
    "Прогноз погоды на выходные",
    "Курс валют на сегодня",
    "Главное за день",
    "Итоги недели",
    "Пробки в Москве утром",
    "Результаты матчей тура",
    "Что изменится с начала месяца",
    "Афиша на выходные",
    "Итоги встречи делегаций в Стамбуле",
    "Новые правила для водителей",
    "Цены на бензин: обзор недели",
    "Опрос: что волнует горожан",
    "Weekend weather outlook",
    "Markets wrap",
    "What we know so far",
    "Morning briefing",
    "Week in review",
    "Transfer window roundup",
    "Tech news digest",
    "Box office weekend",
)

RU_HEADLINE_SUBJECTS: tuple[str, ...] = (
    # Plural subjects only: the verbs below are plural past forms.
    "Власти", "Депутаты", "Чиновники Минфина", "Банкиры", "Власти Москвы", "Делегации",
    "Эксперты", "Аналитики", "Учёные", "Прокуроры", "Посредники", "Стороны переговоров",
    "Губернаторы", "Врачи", "Инженеры", "Спортсмены", "Актёры", "Музейщики",
    "Студенты", "Фермеры",
)
RU_HEADLINE_VERBS: tuple[str, ...] = (
    "обсудили", "представили", "одобрили", "раскритиковали", "отложили", "подготовили",
    "объявили", "пересмотрели", "поддержали", "заявили о планах на",
)
RU_HEADLINE_OBJECTS: tuple[str, ...] = (
    "новый бюджет", "план перемирия", "ключевую ставку", "реформу образования",
    "программу помощи", "правила для маркетплейсов", "обмен пленными",
    "запуск спутника", "сезонную выставку", "тарифы ЖКХ", "меры поддержки бизнеса",
    "проект закона о связи", "дорожную карту переговоров", "прогноз урожая",
    "новый сезон", "строительство метро",
)
RU_HEADLINE_TAILS: tuple[str, ...] = (
    "", "", "", " — подробности", ": что известно", " на фоне споров", " в Стамбуле",
    " после долгих обсуждений", " впервые за год", ": главное",
)

EN_HEADLINE_SUBJECTS: tuple[str, ...] = (
    "Lawmakers", "Regulators", "Negotiators", "Investors", "Researchers", "The city council",
    "Central bankers", "Union leaders", "Startups", "The national team", "Museums",
    "Airlines", "Farmers", "Doctors", "Engineers", "Diplomats",
)
EN_HEADLINE_VERBS: tuple[str, ...] = (
    "weigh", "unveil", "back", "reject", "delay", "push for", "question", "announce",
    "rethink", "brace for",
)
EN_HEADLINE_OBJECTS: tuple[str, ...] = (
    "new budget rules", "a ceasefire plan", "higher rates", "school reform",
    "an aid package", "stricter data laws", "a prisoner swap", "a satellite launch",
    "the autumn exhibition", "energy tariffs", "support for small business",
    "a telecom bill", "a peace roadmap", "the harvest forecast", "the new season",
    "a metro extension",
)
EN_HEADLINE_TAILS: tuple[str, ...] = (
    "", "", "", " amid dispute", ": what we know", " after long talks", " for the first time",
    " in Geneva", " as costs rise", ", sources say",
)

RU_SENTENCE_SUBJECTS: tuple[str, ...] = (
    # Plural, to agree with the plural verbs below.
    "Представители сторон", "Чиновники министерства экономики", "Члены делегации",
    "Сотрудники пресс-службы мэрии", "Независимые эксперты", "Местные жители",
    "Аналитики крупного банка", "Источники в правительстве", "Депутаты профильного комитета",
    "Организаторы фестиваля", "Тренеры сборной", "Сотрудники музея",
    "Учёные из Новосибирска", "Представители ООН", "Фермеры юга страны",
    "Руководители компании", "Собеседники редакции", "Участники встречи",
)
RU_SENTENCE_VERBS: tuple[str, ...] = (
    "сообщили, что", "подчеркнули, что", "напомнили, что", "выразили надежду, что",
    "признали, что", "уверены, что", "не исключают, что", "предупредили, что",
    "заявили журналистам, что", "отметили, что",
)
RU_SENTENCE_CLAUSES: tuple[str, ...] = (
    "следующий раунд переговоров пройдёт уже в декабре",
    "решение будет принято до конца квартала",
    "цены на основные продукты стабилизировались",
    "новые правила вступят в силу с первого числа",
    "работы на участке завершатся раньше срока",
    "спрос на ипотеку заметно снизился",
    "гуманитарные коридоры будут открыты ещё на неделю",
    "выставка продлится до весны",
    "команда готовится к решающему матчу",
    "бюджет региона впервые сведён с профицитом",
    "число туристов выросло почти на треть",
    "проект потребует дополнительного финансирования",
    "стороны договорились о взаимном обмене списками",
    "спутник выведен на расчётную орбиту",
    "урожай зерновых оказался выше прогноза",
    "ремонт дорог продолжится и в выходные",
    "обсуждение законопроекта перенесено",
    "режим тишины в целом соблюдается",
)
RU_SENTENCE_TAILS: tuple[str, ...] = (
    "", "", "", ", хотя детали пока не раскрываются",
    ", сославшись на данные ведомства", " — по крайней мере, в ближайшие месяцы",
    ", однако окончательных договорённостей нет", " и что это лишь первый шаг",
    ", несмотря на возражения оппозиции", ", как и предполагалось ранее",
)

EN_SENTENCE_SUBJECTS: tuple[str, ...] = (
    "Officials on both sides", "The finance minister", "A senior negotiator",
    "City hall", "Independent analysts", "Local residents", "Economists at a large bank",
    "A government source", "Committee members", "Festival organisers", "The head coach",
    "The museum's director", "Researchers in Boston", "A UN spokesperson",
    "Farmers in the south", "The company's management", "People familiar with the matter",
)
EN_SENTENCE_VERBS: tuple[str, ...] = (
    # Past tense, which agrees with singular and plural subjects alike.
    "said that", "stressed that", "noted that", "expected that", "acknowledged that",
    "warned that", "told reporters that", "believed that", "confirmed that", "argued that",
)
EN_SENTENCE_CLAUSES: tuple[str, ...] = (
    "the next round of talks will take place in December",
    "a decision is due before the end of the quarter",
    "food prices have broadly stabilised",
    "the new rules take effect at the start of the month",
    "construction on the line will finish ahead of schedule",
    "mortgage demand has cooled noticeably",
    "humanitarian corridors will stay open for another week",
    "the exhibition will run until spring",
    "the squad is preparing for a decisive match",
    "the regional budget ended the year in surplus",
    "tourist numbers rose by almost a third",
    "the project will need additional funding",
    "both sides agreed to exchange lists of detainees",
    "the satellite reached its planned orbit",
    "the grain harvest came in above forecasts",
    "the vote on the bill has been postponed",
    "the ceasefire is largely holding",
)
EN_SENTENCE_TAILS: tuple[str, ...] = (
    "", "", "", ", although details remain scarce", ", citing official figures",
    ", at least for the coming months", ", but no final agreement has been reached",
    ", calling it only a first step", ", despite objections from the opposition",
    ", as widely expected",
)

RU_SUBHEADINGS: tuple[str, ...] = (
    "Что известно", "Позиция сторон", "Реакция рынка", "Что дальше", "Контекст",
    "Мнение экспертов", "Цифры", "Как это работает", "Хронология", "Что говорят жители",
)
EN_SUBHEADINGS: tuple[str, ...] = (
    "What we know", "Where the sides stand", "Market reaction", "What comes next",
    "Background", "Expert view", "By the numbers", "How it works", "Timeline",
    "What residents say",
)

RU_LIST_ITEMS: tuple[str, ...] = (
    "продление режима тишины", "обмен пленными по формуле «всех на всех»",
    "открытие гуманитарных коридоров", "снижение пошлин на импорт", "индексация пенсий",
    "новые маршруты общественного транспорта", "субсидии для фермеров",
    "ремонт школ и больниц", "льготная ипотека для молодых семей",
    "контроль за ценами на топливо", "расширение программы стипендий",
)
EN_LIST_ITEMS: tuple[str, ...] = (
    "an extension of the ceasefire", "an all-for-all prisoner exchange",
    "new humanitarian corridors", "lower import duties", "pension indexation",
    "new public transport routes", "subsidies for farmers", "repairs to schools and hospitals",
    "cheaper mortgages for young families", "fuel price controls",
    "a larger scholarship programme",
)

RU_QUOTES: tuple[str, ...] = (
    "Мы сделали важный шаг, но говорить о полном согласии пока рано.",
    "Цифры говорят сами за себя: рынок адаптировался быстрее, чем ожидалось.",
    "Нам нужно время, чтобы всё просчитать, и мы не будем торопиться.",
    "Это решение давно назрело, и горожане его поддерживают.",
    "Команда готова, осталось показать это на поле.",
)
EN_QUOTES: tuple[str, ...] = (
    "We have taken an important step, but it is too early to speak of a full agreement.",
    "The numbers speak for themselves: the market adapted faster than anyone expected.",
    "We need time to work through the details, and we will not rush it.",
    "This decision was long overdue, and residents support it.",
    "The team is ready; now we have to show it on the pitch.",
)

LINK_TARGETS: tuple[str, ...] = (
    "https://example.com/reports/annual",
    "https://example.com/data/prices",
    "https://example.net/statement",
    "https://example.com/live/updates",
    "https://example.net/interview",
    "https://example.com/archive/2024",
)

AUTHORS: tuple[str, ...] = (
    "Анна Смирнова", "Игорь Петров", "Мария Кузнецова", "Дмитрий Волков", "Елена Соколова",
    "Сергей Морозов", "Ольга Лебедева", "Алексей Новиков", "Наталья Козлова",
    "Павел Орлов", "Ирина Васильева", "Михаил Зайцев", "Jane Porter", "Tom Whitfield",
    "Priya Natarajan", "Lucas Moreau", "Sarah Lindqvist", "David Okafor",
)

TABLE_ROWS_RU: tuple[str, ...] = (
    "Инфляция, %", "Ключевая ставка, %", "ВВП, трлн руб.", "Безработица, %",
    "Экспорт, млрд $", "Импорт, млрд $", "Урожай, млн т",
)
TABLE_ROWS_EN: tuple[str, ...] = (
    "Inflation, %", "Policy rate, %", "GDP, $ trillion", "Unemployment, %",
    "Exports, $ billion", "Imports, $ billion", "Harvest, million t",
)

CODE_SNIPPETS: tuple[tuple[str, str], ...] = (
    ("python", 'import json\n\nwith open("results.json", encoding="utf-8") as f:\n'
               '    data = json.load(f)\nprint(sum(row["votes"] for row in data))'),
    ("json", '{\n  "region": "Moscow",\n  "turnout": 0.42,\n  "counted": true\n}'),
    ("bash", "curl -s https://example.com/api/v1/prices \\\n  | jq '.items[] | .price'"),
    ("sql", "SELECT region, avg(price)\nFROM fuel_prices\nWHERE day >= '2025-01-01'\n"
            "GROUP BY region;"),
)
