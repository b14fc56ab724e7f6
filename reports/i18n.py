"""The words of the HTML report's interface, in English and Russian.

Collected copy is shown as the run wrote it; a finding's message and suggestion in the
report's language come with the finding (``findings[].translations``, ``localized``), and a
rule's title with the run (``context.rules``). ``translator(lang)`` gives the template its
``t`` (a message), ``tn`` (a message with a count, in the language's plural form) and
number/date formatting; ``messages_for_js(lang)`` is the part the page's script needs,
embedded as JSON.

Plurals: English has one/other; Russian has one/few/many (1 касание, 2 касания, 5 касаний),
chosen by CLDR's rule for ``ru``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from auditor.errors import BrandAuditError

LANGUAGES = ("en", "ru")

EN: dict[str, str | tuple[str, ...]] = {
    # Header and overview
    "eyebrow": "Brand voice audit",
    "lede": "Does {brand} speak with one voice everywhere? This report scores every page, post, "
            "call and file against the brand's approved copy.",
    "date": "Date", "run": "Run", "baseline": "Baseline", "model": "Model",
    "brand_score": "Brand score", "out_of_100": "out of 100", "score_caption": "Brand score, 0–100",
    "no_delta": "No score change available",
    "delta_since": "{delta} since run {run}",
    "at_a_glance": "At a glance",
    "kpi_touchpoints": ("touchpoint checked", "touchpoints checked"),
    "kpi_diverging": ("diverges from the brand", "diverge from the brand"),
    "kpi_warnings": ("needs review", "need review"),
    "kpi_ok": ("is on brand", "on brand"),
    "kpi_new_resolved": "new / resolved findings since the last run",
    "n_touchpoints": ("{n} touchpoint", "{n} touchpoints"),
    "kpi_errors": ("source could not be collected", "sources could not be collected"),
    "skip": "Skip to all touchpoints",
    "title": "{brand}: brand voice audit {date}",
    "verdict_ok": "On brand", "verdict_warn": "Needs attention", "verdict_diverges": "Off brand",
    "verdict_none": "Not scored",
    "status_ok": "On brand", "status_warn": "Needs review", "status_diverges": "Diverges",
    "site_wide": "Site-wide navigation and footer",
    "status_none": "Not scored",
    "sev_error": "Error", "sev_warning": "Warning", "sev_info": "Note",
    "not_scored_title": "Not scored: an error or too little copy; never counted as a pass",
    # Channels
    "channels_title": "By channel",
    "channels_intro": "Lowest score first. Counts are touchpoints in each status; the change is "
                      "since the previous run.",
    "col_channel": "Channel", "col_score": "Score", "col_change": "Change",
    "col_touchpoints": "Touchpoints", "col_ok": "On brand", "col_warn": "Need review",
    "col_diverges": "Diverge", "col_mix": "Mix",
    "no_channels": "No channel was scored.",
    "mix_label": "{ok} on brand, {warn} need review, {diverges} diverge",
    # Urgent
    "urgent_title": "Most urgent",
    "urgent_intro": "The worst problems first, each with where it is and what to do.",
    "urgent_where": "Where", "urgent_fix": "What to do", "urgent_said": "What was said",
    "urgent_open": "Open in the table",
    "urgent_more": ("{n} more diverging touchpoint is listed below.",
                    "{n} more diverging touchpoints are listed below."),
    "urgent_none": "No touchpoint diverges from the brand.",
    "urgent_none_warn": ("{n} needs a second look: see all touchpoints.",
                         "{n} need a second look: see all touchpoints."),
    "urgent_overall": "Scored far from the brand's approved copy overall, with no single "
                      "sentence to blame. Compare it with the approved exemplars.",
    "score_word": "score", "agent_word": "agent",
    # Charts
    "tone_title": "Tone of voice by channel",
    "tone_intro": "Where each channel sits on five voice dimensions. The shaded band is the "
                  "brand's target range from the baseline; a marker outside it is drawn larger "
                  "and listed below.",
    "tone_target": "Brand target range",
    "tone_outside": "Outside the brand's range",
    "tone_all_inside": "Every channel sits inside the brand's target range on every dimension.",
    "tone_reads": "{channel}: {pole} than the brand ({dimension} {value}; the brand aims "
                  "for {low} to {high}).",
    "tone_point": "{channel}: {dimension} {value}",
    "tone_point_target": "{channel}: {dimension} {value} (brand aims for {low} to {high})",
    "dim_formality": "Formality", "dim_warmth": "Warmth", "dim_confidence": "Confidence",
    "dim_customer_focus": "Customer focus", "dim_respect": "Respect",
    "pole_formality": ("Formal", "Casual"), "pole_warmth": ("Cold", "Warm"),
    "pole_confidence": ("Hesitant", "Confident"),
    "pole_customer_focus": ("Self-focused", "Customer-focused"),
    "pole_respect": ("Pushy", "Respectful"),
    "more_formality": ("more formal", "more casual"), "more_warmth": ("colder", "warmer"),
    "more_confidence": ("more hesitant", "more assertive"),
    "more_customer_focus": ("more self-focused", "more customer-focused"),
    "more_respect": ("pushier", "more deferential"),
    "map_title": "Brand map",
    "map_intro": "Every touchpoint placed by meaning: the closer two points are, the more alike "
                 "they read. Stars are the brand's approved copy; ringed points diverge. Hover a "
                 "point to read it; Tab reaches diverging points and Enter opens one below.",
    "map_axes": "The axes have no units: only distance matters. The map flattens meaning onto "
                "two axes, so a point among the stars can still diverge, in what it says, its "
                "tone or a rule it breaks; its findings below say which.",
    "map_sampled": "Showing {shown} of {total} touchpoints (every diverging one, and an even "
                   "sample of the rest).",
    "map_exemplar": "Approved copy", "map_brand_zone": "Where the approved copy sits",
    "map_diverges": "Diverges",
    "dist_title": "Score distribution by channel",
    "dist_intro": "Each dot is a touchpoint; the box holds the middle half, the bar is the "
                  "median. Shaded zones are the status bands.",
    "dist_label": "{n} · median {median}",
    "dist_box": "{channel}: median {median}, middle half {q1} to {q3}, lowest {low}, "
                "highest {high}",
    "trend_title": "Trend across runs",
    "trend_intro": "The brand score (thick line) and each channel over the last {n} runs.",
    "trend_brand": "Brand",
    "trend_point": "{series}, {date}: {score}",
    "coverage_title": "Key messages by channel",
    "coverage_intro": "Share of each channel's touchpoints that say each key message from the "
                      "baseline. Gaps show where a message never reaches customers.",
    "coverage_message": "Key message", "coverage_gap": "not said",
    "legend": "Legend",
    # Touchpoints table
    "tp_title": "All touchpoints",
    "tp_intro": "Worst first. Filter, search, sort by any column, and open a row to see the copy "
                "with the off-brand passages marked next to on-brand copy from the baseline.",
    "filter_label": "Filter touchpoints",
    "f_channel": "Channel", "f_status": "Status", "f_rule": "Rule", "f_agent": "Agent",
    "f_language": "Language", "f_search": "Search",
    "f_all_channels": "All channels", "f_any_status": "Any status", "f_any_rule": "Any rule",
    "f_any_agent": "Any agent", "f_any_language": "Any language",
    "f_placeholder": "Words in titles, sources, copy or findings",
    "f_reset": "Reset", "download": "Download report.json",
    "col_status": "Status", "col_touchpoint": "Touchpoint", "col_findings": "Findings",
    "col_lang": "Lang", "col_agent": "Agent",
    "tp_caption": "Every touchpoint with its findings; sortable by column",
    "noscript": "The touchpoints table needs JavaScript. Everything above works without it; "
                "the full data is in the embedded report.json.",
    # Agents
    "agents_title": "Agents",
    "agents_intro": "Each call or chat agent's side of the conversation against the brand's "
                    "voice, worst first. Customer speech is never scored.",
    "agents_spread": "Spread across agents: {spread} points (standard deviation of agent "
                     "scores).",
    "agents_range": "From {low} ({low_agent}) to {high} ({high_agent}).",
    "col_calls": "Conversations", "col_turns": "Turns scored", "col_top": "Most frequent findings",
    "col_vs_brand": "vs brand",
    # Errors
    "errors_title": "Could not be collected",
    "errors_intro": "These sources are missing from the scores above. Nothing here counts as a "
                    "pass: fix the cause and run the audit again.",
    "errors_skipped": "The ones marked – were skipped by design (PDFs, images and other files "
                      "that are not web pages): nothing to fix there.",
    "errors_more": ("…and {n} more in report.json.", "…and {n} more in report.json."),
    # About and footer
    "about_title": "How to read this report",
    "about_score": "Score",
    "about_score_text": "0–100: how closely the copy matches the brand's approved copy in message "
                        "and tone. The brand score and channel scores read On brand from {ok}, "
                        "Needs attention from {warn}, Off brand below that; the brand score "
                        "reads Needs attention, whatever its value, while any touchpoint "
                        "diverges. A dash means the copy could not be scored; it never counts "
                        "as a pass.",
    "about_diverges": "Less like the brand than nearly all of its own approved copy, or a "
                      "serious problem such as pressure or false urgency. Fix these first.",
    "about_warn": "Borderline, or a smaller problem such as a banned term or shouting. Worth a "
                  "second look.",
    "about_ok": "Reads like the approved copy.",
    "about_exemplar": "On-brand example",
    "about_exemplar_text": "The passage of approved copy closest in meaning to what was said: "
                           "what the brand would say instead.",
    "about_languages": "Other languages",
    "about_languages_text": "{languages}: scored by meaning against the approved copy, and by "
                            "readability where brand-audit has a formula for the language. "
                            "The respect, shouting and tone phrase checks are written for "
                            "English and Russian, so they catch less in this copy; a reviewer "
                            "who reads it should look for pressure and rudeness too.",
    "footer": "Generated by brand-audit {version} · run {run} · {findings} findings · this file "
              "{size}. Self-contained: it works offline and its data is the embedded "
              "report.json.",
    "months": ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December"),
    "months_short": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                     "Nov", "Dec"),
    "channel_web": "Website", "channel_social": "Social", "channel_calls": "Calls",
    "channel_chat": "Chat", "channel_email": "E-mail", "channel_sms": "SMS",
    "channel_files": "Content files",
    "lang_en": "English", "lang_ru": "Russian", "lang_de": "German", "lang_es": "Spanish",
    "lang_fr": "French", "lang_it": "Italian", "lang_nl": "Dutch", "lang_pl": "Polish",
    "lang_pt": "Portuguese", "lang_tr": "Turkish",
    "size_units": ("bytes", "KB", "MB"),
}

RU: dict[str, str | tuple[str, ...]] = {
    "eyebrow": "Аудит голоса бренда",
    "lede": "Звучит ли {brand} одинаково везде? Отчёт сравнивает каждую страницу, пост, звонок и "
            "файл с одобренными текстами бренда.",
    "date": "Дата", "run": "Запуск", "baseline": "Эталон", "model": "Модель",
    "brand_score": "Оценка бренда", "out_of_100": "из 100",
    "score_caption": "Оценка бренда, 0–100",
    "no_delta": "Изменение оценки неизвестно",
    "delta_since": "{delta} с запуска {run}",
    "at_a_glance": "Коротко",
    "kpi_touchpoints": ("касание проверено", "касания проверены", "касаний проверено"),
    "kpi_diverging": ("расходится с брендом", "расходятся с брендом", "расходятся с брендом"),
    "kpi_warnings": ("требует проверки", "требуют проверки", "требуют проверки"),
    "kpi_ok": ("в голосе бренда", "в голосе бренда", "в голосе бренда"),
    "kpi_new_resolved": "новых / исправленных замечаний с прошлого запуска",
    "n_touchpoints": ("{n} касание", "{n} касания", "{n} касаний"),
    "kpi_errors": ("источник не удалось собрать", "источника не удалось собрать",
                   "источников не удалось собрать"),
    "skip": "Перейти ко всем касаниям",
    "title": "{brand}: аудит голоса бренда {date}",
    "verdict_ok": "В голосе бренда", "verdict_warn": "Требует внимания",
    "verdict_diverges": "Не в голосе бренда", "verdict_none": "Нет оценки",
    "status_ok": "В голосе", "status_warn": "Проверить", "status_diverges": "Расходится",
    "site_wide": "Навигация и подвал сайта",
    "status_none": "Нет оценки",
    "sev_error": "Ошибка", "sev_warning": "Предупреждение", "sev_info": "Заметка",
    "not_scored_title": "Нет оценки: ошибка или слишком мало текста; это никогда не считается "
                        "успехом",
    "channels_title": "По каналам",
    "channels_intro": "Сначала худшие. Числа — касания в каждом статусе; изменение — с прошлого "
                      "запуска.",
    "col_channel": "Канал", "col_score": "Оценка", "col_change": "Изменение",
    "col_touchpoints": "Касания", "col_ok": "В голосе", "col_warn": "Проверить",
    "col_diverges": "Расходятся", "col_mix": "Состав",
    "no_channels": "Ни один канал не оценён.",
    "mix_label": "{ok} в голосе, {warn} проверить, {diverges} расходятся",
    "urgent_title": "Самое срочное",
    "urgent_intro": "Сначала самые серьёзные проблемы: где они и что сделать.",
    "urgent_where": "Где", "urgent_fix": "Что сделать", "urgent_said": "Что сказано",
    "urgent_open": "Открыть в таблице",
    "urgent_more": ("Ещё {n} расходящееся касание — в таблице ниже.",
                    "Ещё {n} расходящихся касания — в таблице ниже.",
                    "Ещё {n} расходящихся касаний — в таблице ниже."),
    "urgent_none": "Ни одно касание не расходится с брендом.",
    "urgent_none_warn": ("{n} касание стоит перепроверить: см. все касания.",
                         "{n} касания стоит перепроверить: см. все касания.",
                         "{n} касаний стоит перепроверить: см. все касания."),
    "urgent_overall": "В целом далеко от одобренных текстов бренда, без одной виноватой фразы. "
                      "Сравните с эталонными примерами.",
    "score_word": "оценка", "agent_word": "оператор",
    "tone_title": "Тон по каналам",
    "tone_intro": "Где каждый канал находится по пяти измерениям голоса. Закрашенная полоса — "
                  "целевой диапазон бренда из эталона; метка вне полосы крупнее и описана ниже.",
    "tone_target": "Целевой диапазон бренда",
    "tone_outside": "Вне диапазона бренда",
    "tone_all_inside": "Все каналы по всем измерениям в целевом диапазоне бренда.",
    "tone_reads": "{channel}: звучит {pole}, чем бренд ({dimension} {value}; цель бренда — от "
                  "{low} до {high}).",
    "tone_point": "{channel}: {dimension} {value}",
    "tone_point_target": "{channel}: {dimension} {value} (цель бренда — от {low} до {high})",
    "dim_formality": "Формальность", "dim_warmth": "Теплота", "dim_confidence": "Уверенность",
    "dim_customer_focus": "Фокус на клиенте", "dim_respect": "Уважение",
    "pole_formality": ("Официально", "Разговорно"), "pole_warmth": ("Холодно", "Тепло"),
    "pole_confidence": ("Неуверенно", "Уверенно"),
    "pole_customer_focus": ("О себе", "О клиенте"),
    "pole_respect": ("Напористо", "Уважительно"),
    "more_formality": ("официальнее", "разговорнее"), "more_warmth": ("холоднее", "теплее"),
    "more_confidence": ("неувереннее", "напористее"),
    "more_customer_focus": ("больше о себе", "больше о клиенте"),
    "more_respect": ("напористее", "подобострастнее"),
    "map_title": "Карта бренда",
    "map_intro": "Каждое касание размещено по смыслу: чем ближе точки, тем больше похожи тексты. "
                 "Звёзды — одобренные тексты бренда; точки в кольце расходятся с брендом. "
                 "Наведите на точку, чтобы прочитать текст; Tab переходит по расходящимся "
                 "точкам, Enter открывает касание в таблице.",
    "map_axes": "У осей нет единиц: важно только расстояние. Карта сводит смысл к двум осям, "
                "поэтому и точка среди звёзд может расходиться с брендом — по смыслу, тону "
                "или нарушенному правилу; её замечания ниже объясняют, чем именно.",
    "map_sampled": "Показано {shown} из {total} касаний (все расходящиеся и равномерная выборка "
                   "остальных).",
    "map_exemplar": "Одобренный текст", "map_brand_zone": "Где лежат одобренные тексты",
    "map_diverges": "Расходится",
    "dist_title": "Распределение оценок по каналам",
    "dist_intro": "Каждая точка — касание; прямоугольник — средняя половина, черта — медиана. "
                  "Закрашенные зоны — статусы.",
    "dist_label": "{n} · медиана {median}",
    "dist_box": "{channel}: медиана {median}, средняя половина от {q1} до {q3}, минимум {low}, "
                "максимум {high}",
    "trend_title": "Динамика по запускам",
    "trend_intro": "Оценка бренда (толстая линия) и каждого канала за последние {n} запусков.",
    "trend_brand": "Бренд",
    "trend_point": "{series}, {date}: {score}",
    "coverage_title": "Ключевые сообщения по каналам",
    "coverage_intro": "Доля касаний каждого канала, где звучит ключевое сообщение из эталона. "
                      "Пробелы показывают, где сообщение не доходит до клиентов.",
    "coverage_message": "Ключевое сообщение", "coverage_gap": "не звучит",
    "legend": "Условные обозначения",
    "tp_title": "Все касания",
    "tp_intro": "Сначала худшие. Фильтруйте, ищите, сортируйте по любому столбцу и откройте "
                "строку, чтобы увидеть текст с отмеченными фрагментами рядом с эталонным текстом.",
    "filter_label": "Фильтр касаний",
    "f_channel": "Канал", "f_status": "Статус", "f_rule": "Правило", "f_agent": "Оператор",
    "f_language": "Язык", "f_search": "Поиск",
    "f_all_channels": "Все каналы", "f_any_status": "Любой статус", "f_any_rule": "Любое правило",
    "f_any_agent": "Любой оператор", "f_any_language": "Любой язык",
    "f_placeholder": "Слова из заголовков, источников, текста или замечаний",
    "f_reset": "Сбросить", "download": "Скачать report.json",
    "col_status": "Статус", "col_touchpoint": "Касание", "col_findings": "Замечания",
    "col_lang": "Язык", "col_agent": "Оператор",
    "tp_caption": "Все касания с замечаниями; сортировка по столбцам",
    "noscript": "Для таблицы касаний нужен JavaScript. Всё, что выше, работает без него; полные "
                "данные — во встроенном report.json.",
    "agents_title": "Операторы",
    "agents_intro": "Реплики каждого оператора звонков и чатов в сравнении с голосом бренда, "
                    "сначала худшие. Речь клиента никогда не оценивается.",
    "agents_spread": "Разброс между операторами: {spread} балла (стандартное отклонение "
                     "оценок).",
    "agents_range": "От {low} ({low_agent}) до {high} ({high_agent}).",
    "col_calls": "Разговоры", "col_turns": "Оценено реплик", "col_top": "Частые замечания",
    "col_vs_brand": "к бренду",
    "errors_title": "Не удалось собрать",
    "errors_intro": "Этих источников нет в оценках выше. Ничто здесь не считается успехом: "
                    "устраните причину и запустите аудит снова.",
    "errors_skipped": "Отмеченные знаком – пропущены намеренно (PDF, изображения и другие "
                      "файлы, которые не являются веб-страницами): там исправлять нечего.",
    "errors_more": ("…и ещё {n} в report.json.", "…и ещё {n} в report.json.",
                    "…и ещё {n} в report.json."),
    "about_title": "Как читать отчёт",
    "about_score": "Оценка",
    "about_score_text": "0–100: насколько текст похож на одобренные тексты бренда по смыслу и "
                        "тону. Оценка бренда и каналов — «В голосе бренда» от {ok}, «Требует "
                        "внимания» от {warn}, ниже — «Не в голосе бренда»; пока хоть одно "
                        "касание расходится с брендом, оценка бренда «Требует внимания», какой "
                        "бы высокой она ни была. Прочерк значит, что текст не удалось оценить; "
                        "это никогда не считается успехом.",
    "about_diverges": "Меньше похоже на бренд, чем почти все его одобренные тексты, или "
                      "серьёзная проблема вроде давления или ложной срочности. Исправьте в "
                      "первую очередь.",
    "about_warn": "На грани, или проблема поменьше: запрещённое слово, крик. Стоит взглянуть.",
    "about_ok": "Звучит как одобренные тексты.",
    "about_exemplar": "Пример в голосе бренда",
    "about_exemplar_text": "Ближайший по смыслу одобренный текст: как бренд сказал бы это.",
    "about_languages": "Другие языки",
    "about_languages_text": "{languages}: оценены по смыслу в сравнении с одобренными текстами и "
                            "по читаемости, если для языка есть формула. Проверки уважения, "
                            "крика и тона по фразам написаны для русского и английского, "
                            "поэтому в этих текстах находят меньше; рецензенту, который "
                            "читает на этом языке, стоит самому поискать давление и грубость.",
    "footer": "Создано brand-audit {version} · запуск {run} · замечаний: {findings} · размер "
              "файла {size}. Файл самодостаточен: работает без сети, его данные — встроенный "
              "report.json.",
    "months": ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
               "сентября", "октября", "ноября", "декабря"),
    "months_short": ("янв", "фев", "мар", "апр", "мая", "июн", "июл", "авг", "сен", "окт",
                     "ноя", "дек"),
    "channel_web": "Сайт", "channel_social": "Соцсети", "channel_calls": "Звонки",
    "channel_chat": "Чат", "channel_email": "Почта", "channel_sms": "SMS",
    "channel_files": "Файлы контента",
    "lang_en": "английский", "lang_ru": "русский", "lang_de": "немецкий",
    "lang_es": "испанский", "lang_fr": "французский", "lang_it": "итальянский",
    "lang_nl": "нидерландский", "lang_pl": "польский", "lang_pt": "португальский",
    "lang_tr": "турецкий",
    "size_units": ("байт", "КБ", "МБ"),
}

#: Strings the page's script needs (built rows, details, counts), by key.
JS_EN = {
    "showing_all": "Showing all {total} touchpoints",
    "showing": "Showing {shown} of {total} touchpoints",
    "rendered": "{rendered} listed",
    "show_more": "Show {n} more",
    "none_match": "No touchpoint matches these filters.",
    "open": "Show copy and findings", "close": "Hide copy and findings",
    "copy_title": "The copy, with off-brand passages marked",
    "exemplar_title": "What on-brand sounds like",
    "exemplar_from": "From approved copy {source}", "similar": "{percent} similar in meaning",
    "no_exemplar": "No approved example was close enough to show.",
    "notes_title": "Findings",
    "suggestion": "Try instead:", "where": "Where:",
    "whole": "About the touchpoint as a whole",
    "customer_context": "customer, not scored",
    "not_scored": "not scored",
    "more_blocks": "{n} more blocks of copy",
    "show_all_copy": "Show all the copy",
    "source_link": "Open the source",
    "source_file": "File {path}",
    "line": "line {line}", "column": "column {column}",
    "call": "Call {id}", "at": "at {time}",
    "roles_guessed": "Speaker roles are a guess, not configured: {note}",
    "no_findings": "No findings: reads like the brand.",
    "no_specific": "No specific finding; the score reflects the copy as a whole.",
    "tone_off": "Tone: {text}",
    "findings_n": ["{n} finding", "{n} findings"],
    "new": "New since last run",
    "untitled": "(untitled)",
    "site_wide": "Site-wide navigation and footer",
    "sorted_by": "sorted by {column}",
}

JS_RU = {
    "showing_all": "Показаны все касания: {total}",
    "showing": "Показано {shown} из {total} касаний",
    "rendered": "в списке: {rendered}",
    "show_more": "Показать ещё {n}",
    "none_match": "Ни одно касание не подходит под фильтры.",
    "open": "Показать текст и замечания", "close": "Скрыть текст и замечания",
    "copy_title": "Текст, фрагменты не в голосе бренда отмечены",
    "exemplar_title": "Как звучит голос бренда",
    "exemplar_from": "Из одобренного текста {source}", "similar": "сходство по смыслу {percent}",
    "no_exemplar": "Подходящего одобренного примера не нашлось.",
    "notes_title": "Замечания",
    "suggestion": "Лучше так:", "where": "Где:",
    "whole": "О касании в целом",
    "customer_context": "клиент, не оценивается",
    "not_scored": "не оценивается",
    "more_blocks": "Ещё фрагментов текста: {n}",
    "show_all_copy": "Показать весь текст",
    "source_link": "Открыть источник",
    "source_file": "Файл {path}",
    "line": "строка {line}", "column": "столбец {column}",
    "call": "Звонок {id}", "at": "в {time}",
    "roles_guessed": "Роли собеседников угаданы, а не заданы в настройках: {note}",
    "no_findings": "Замечаний нет: звучит как бренд.",
    "no_specific": "Конкретных замечаний нет; оценка отражает текст в целом.",
    "tone_off": "Тон: {text}",
    "findings_n": ["{n} замечание", "{n} замечания", "{n} замечаний"],
    "new": "Новое с прошлого запуска",
    "untitled": "(без названия)",
    "site_wide": "Навигация и подвал сайта",
    "sorted_by": "сортировка: {column}",
}

_MESSAGES = {"en": EN, "ru": RU}
_JS = {"en": JS_EN, "ru": JS_RU}


def check_language(lang: str) -> str:
    """``lang`` if the report speaks it; otherwise a usage error naming the choices."""
    if lang not in LANGUAGES:
        raise BrandAuditError(f"the report has no interface language {lang!r}",
                              key="report-lang",
                              hint=f"choose one of: {', '.join(LANGUAGES)}")
    return lang


def counted(n: int, noun: str) -> str:
    """``n`` and an English noun in the form it takes: ``1 touchpoint``, ``2 touchpoints``."""
    return f"{n:,} {noun if n == 1 else noun + 's'}"


def plural_index(lang: str, n: int) -> int:
    """Which plural form ``n`` takes: English 0 one / 1 other; Russian 0 one / 1 few / 2 many."""
    n = abs(int(n))
    if lang == "ru":
        if n % 10 == 1 and n % 100 != 11:
            return 0
        if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
            return 1
        return 2
    return 0 if n == 1 else 1


@dataclass(frozen=True)
class Translator:
    """The interface words and number/date formats of one language."""

    lang: str

    def t(self, key: str, **values: object) -> str:
        """The message ``key``, with ``{name}`` placeholders filled from ``values``."""
        text = _MESSAGES[self.lang][key]
        if not isinstance(text, str):
            raise KeyError(f"{key} has plural forms: use tn()")
        return text.format(**values) if values else text

    def tn(self, key: str, n: int, **values: object) -> str:
        """The message ``key`` in the plural form for ``n`` (``{n}`` is the formatted count)."""
        forms = _MESSAGES[self.lang][key]
        form = forms[min(plural_index(self.lang, n), len(forms) - 1)]
        return form.format(n=self.number(n), **values)

    def words(self, key: str) -> tuple[str, ...]:
        """A list-valued message: month names, a dimension's two poles."""
        value = _MESSAGES[self.lang][key]
        return value if isinstance(value, tuple) else (value,)

    def number(self, value: float, digits: int = 0) -> str:
        """``12,345`` in English, ``12 345`` in Russian (thin no-break space, decimal comma)."""
        text = f"{value:,.{digits}f}"
        if self.lang == "ru":
            text = text.replace(",", "\u202f").replace(".", ",")
        return text

    def signed(self, value: float, digits: int = 1) -> str:
        """``+2.5`` / ``−3.4`` with a real minus sign."""
        text = self.number(abs(value), digits)
        return ("+" if value > 0 else "−" if value < 0 else "±") + text

    def date(self, moment: datetime, with_time: bool = True) -> str:
        """``6 May 2024, 06:00`` / ``6 мая 2024, 06:00``."""
        month = self.words("months")[moment.month - 1]
        text = f"{moment.day} {month} {moment.year}"
        return f"{text}, {moment:%H:%M}" if with_time else text

    def short_date(self, moment: datetime) -> str:
        return f"{moment.day} {self.words('months_short')[moment.month - 1]}"

    def size(self, n_bytes: int) -> str:
        """A file size for people: ``812 KB``, ``14.2 MB``."""
        units = self.words("size_units")
        if n_bytes < 1024:
            return f"{self.number(n_bytes)} {units[0]}"
        if n_bytes < 1024 * 1024:
            return f"{self.number(n_bytes / 1024)} {units[1]}"
        return f"{self.number(n_bytes / 1024 / 1024, 1)} {units[2]}"


def translator(lang: str = "en") -> Translator:
    """The ``Translator`` for ``lang`` (``en`` or ``ru``)."""
    return Translator(check_language(lang))


def messages_for_js(lang: str = "en") -> dict:
    """The strings the report's script uses, plus the shared status/channel words."""
    base = _MESSAGES[check_language(lang)]
    shared = {k: v for k, v in base.items()
              if k.startswith(("status_", "sev_", "channel_", "col_", "lang_", "more_", "dim_"))}
    return {"lang": lang, **shared, **_JS[lang]}


def localized(report: dict, lang: str) -> dict:
    """``report`` with each finding's message and suggestion in ``lang`` where the finding
    has them (``findings[].translations``); the texts it replaces move into its translations,
    so the page's report.json still holds every language."""
    def swap(finding: object) -> object:
        if not isinstance(finding, dict):
            return finding
        translations = finding.get("translations")
        said = translations.get(lang) if isinstance(translations, dict) else None
        if not isinstance(said, dict) or not isinstance(said.get("message"), str):
            return finding
        original = {"message": finding.get("message", "")}
        if finding.get("suggestion"):
            original["suggestion"] = finding["suggestion"]
        out = {**finding, "message": said["message"],
               "translations": {**{k: v for k, v in translations.items() if k != lang},
                                "en": original}}
        out.pop("suggestion", None)
        if said.get("suggestion"):
            out["suggestion"] = said["suggestion"]
        return out

    touchpoints = report.get("touchpoints")
    if lang == "en" or not isinstance(touchpoints, list):
        return report
    return {**report, "touchpoints": [
        {**tp, "findings": [swap(f) for f in tp["findings"]]}
        if isinstance(tp, dict) and isinstance(tp.get("findings"), list) else tp
        for tp in touchpoints]}
