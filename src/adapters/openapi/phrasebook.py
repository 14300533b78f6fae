"""Shorter wordings for long Ozon texts, every fact kept.

The Ozon spec says the same things at length in many operations (the campaigns of a report,
its period, the budget unit, what an empty field means, the per-request limits) and repeats in
each enum item what its introduction already said ("Тип группировки: `DATE` — группировка по
дате"), and in a tool's "Метод для ..." sentence what its summary says. Lean mode replaces
those sentences, as they read once the layout is folded onto one line, with shorter ones that
state the same facts: each condition, default, limit, side effect, unit, enum value with its
meaning, and every field and value the text names. An entry that drops a sentence outright
says why (the tool's arguments, its summary or its schema state it). A sentence no entry
matches stays as the spec wrote it, so another spec, or a changed Ozon text, loses nothing (it
only stays longer).

`GENERIC_PHRASES` apply to any spec: an example that repeats a layout the text has just named,
"Список" before a list of ids (the schema's `array` says it), and "идентификатор" (26 bytes in
UTF-8 in each of its forms), for which "ID" says the same.

Each pattern names what it `needs`, a fixed part of it that each match contains: it is tried
(and compiled, once) only on a text that contains it (`lazy_pattern.LazyPattern`), so that a
start-up does not pay for ~60 patterns times ~190 texts when each matches only a few.
"""

from __future__ import annotations

import re

from ozon_mcp.adapters.openapi.lazy_pattern import LazyPattern, Replacement

_START_END = {"Начальная": "Начало", "Конечная": "Конец"}


def _period_bound(match: re.Match[str]) -> str:
    layout = " YYYY-MM-DD" if match.group(2) else ""
    return f"{_START_END[match.group(1)]}{',' if layout else ''}{layout}."


_BUDGET_KIND = {"дневного": "Дневной", "недельного": "Недельный"}


def _budget_limit(match: re.Match[str]) -> str:
    kind, unit, after = match.group(1, 2, 4)
    return (
        f"{_BUDGET_KIND[kind]} бюджет {unit[0].lower()}{unit[1:]} Нет — без лимита; "
        f"после создания не сменить на {after} и обратно."
    )


def _literal(text: str) -> LazyPattern:
    return LazyPattern.of_text(text)


def _regex(pattern: str, *, needs: str) -> LazyPattern:
    """`pattern`, tried only on texts that contain `needs`, a fixed part of it (outside any
    alternative or optional part), so in every match: `test_openapi_lazy_patterns` proves it."""
    return LazyPattern(pattern, needs)


Phrases = tuple[tuple[LazyPattern, Replacement], ...]

# The Ozon spec's long wordings (one-line text, after `GENERIC_PHRASES`) → the same facts.
# Each pattern is compiled on the first text that contains what it `needs`, and only tried there.
OZON_PHRASES: Phrases = (
    # The campaigns of a report or a list, and what an empty list means.
    (
        _literal(
            "ID кампаний, для которых необходимо подготовить отчёт. Если поле "
            "заполнено, в отчёте будет статистика только по указанным кампаниям. Если поле "
            "пустое, в ответе будет статистика по всем кампаниям в указанном промежутке "
            "времени."
        ),
        "ID кампаний; пусто — все за период.",
    ),
    (
        _regex(
            r"ID кампаний, для которых необходимо подготовить отчёт\. Формат отчёта: "
            r"CSV — если в списке одна кампания\. ZIP архив — если в списке несколько "
            r"кампаний\. Каждый файл соответствует одной кампании из списка\. Имя файла вида "
            r"(`[^`]+`)\.",
            needs="ZIP архив — если в списке несколько",
        ),
        r"ID кампаний; одна — CSV, несколько — ZIP из \1.",
    ),
    (
        _regex(
            r"ID кампаний, для которых необходимо вывести информацию\. Если передать "
            r"значение, то в ответе будет информация по кампаниям, которые указаны в поле "
            r"(`\w+`)\. Если поле пустое, информация будет отдана по всем кампаниям\.",
            needs="ID кампаний, для которых необходимо вывести информацию.",
        ),
        r"ID кампаний; в ответе только указанные в \1, пусто — все.",
    ),
    # Report periods (`RFC 3339` is gone already where the schema says `date-time`).
    (
        _regex(
            r"(Начальная|Конечная) дата периода отчёта(?: в формате (ГГГГ-ММ-ДД))?\.",
            needs=" дата периода отчёта",
        ),
        _period_bound,
    ),
    (
        _regex(
            r"Максимальный период, за который можно получить отчёт — (\d+) дн\w*\.",
            needs="Максимальный период, за который можно получить отчёт — ",
        ),
        r"Период — до \1 дней.",
    ),
    (
        _literal("Начало отчётного периода. Дата должна быть не ранее 1 января 2022 года."),
        "Начало отчётного периода, не ранее 2022-01-01.",
    ),
    (
        _regex(
            r"Конец отчётного периода\. Дата должна быть позднее (`\w+`) не больше чем на "
            r"(\d+) месяца\. Если дата позднее трёх месяцев, отчёт сформируется за \2 месяца "
            r"с даты, указанной в \1\.",
            needs="Конец отчётного периода. Дата должна быть позднее ",
        ),
        r"Конец отчётного периода, не позже \1 + \2 месяца (иначе отчёт — за \2 месяца "
        r"с \1).",
    ),
    # Campaign dates.
    (
        _regex(
            r"Дата (начала|окончания) рекламной кампании по московскому времени\.",
            needs=" рекламной кампании по московскому времени.",
        ),
        lambda m: f"{'Начало' if m.group(1) == 'начала' else 'Конец'} кампании (МСК).",
    ),
    (
        _literal(
            " Если параметр не заполнен, датой старта считается начало текущего дня. Открутка "
            "начинается сразу после активации кампании, если не нужна модерация."
        ),
        " Нет — с начала текущего дня. Открутка — сразу после активации, если не нужна модерация.",
    ),
    (
        _literal(
            " Параметр не учитывается для кампаний с оплатой за клики, созданных в "
            "автоматическом режиме."
        ),
        " Не учитывается для кампаний с оплатой за клики, созданных автоматически.",
    ),
    (
        _regex(
            r"\. Не может быть раньше (текущей даты|даты начала)\.", needs=". Не может быть раньше "
        ),
        r", не раньше \1.",
    ),
    # Budgets: the unit (said once by `descriptions._REPHRASED`), the default, the rules.
    (
        _regex(
            r"Ограничение (дневного|недельного) бюджета рекламной кампании\. (.+?) Если "
            r"параметр не заполнен, \w+ бюджет не ограничен\. После создания рекламной кампании "
            r"изменить бюджет с (\w+) на (\w+) и наоборот не получится\.",
            needs="изменить бюджет с ",
        ),
        _budget_limit,
    ),
    (
        _regex(
            r"Ограничение общего бюджета рекламной кампании\. (.+?) Учитывается только для "
            r"автоматических кампаний брендов и агентств\. В других организациях установить "
            r"новое ограничение общего бюджета не получится\. Если у кампании уже установлен "
            r"бюджет, можно: Убрать ограничения: передайте (`0`) в этом параметре\. Не менять "
            r"бюджет кампании\. Когда он будет исчерпан, уберите ограничения бюджета или "
            r"создайте новую кампанию с неограниченным бюджетом\.",
            needs="Ограничение общего бюджета рекламной кампании.",
        ),
        lambda m: (
            f"Общий бюджет {m.group(1)[0].lower()}{m.group(1)[1:]} Только для автоматических "
            f"кампаний брендов и агентств. Если бюджет есть: {m.group(2)} — снять лимит; или, "
            "когда исчерпан, снять лимит или создать кампанию без лимита."
        ),
    ),
    (
        _regex(
            r"Процент автоподнятия бюджета, от (`\d+`) до (`\d+`)\. (`0`), если автоподнятие "
            r"отключено\.",
            needs="Процент автоподнятия бюджета, от ",
        ),
        r"Процент автоподнятия бюджета, \1–\2; \3 — отключено.",
    ),
    # Enum lists: each item said without repeating its introduction.
    (_literal("Автостратегия, которая будет использоваться для кампании:"), "Автостратегия:"),
    (
        _literal(
            "Тип группировки по времени: `DATE` — группировка по дате (по дням); "
            "`START_OF_WEEK` — группировка по неделям; `START_OF_MONTH` — группировка по "
            "месяцам."
        ),
        "Группировка: `DATE` — по дням; `START_OF_WEEK` — по неделям; `START_OF_MONTH` — "
        "по месяцам.",
    ),
    (
        _literal(
            "Тип спецразмещения: `PRODUCT_PLACEMENT_TYPE_MAIN` — спецразмещение на главной; "
            "`PRODUCT_PLACEMENT_TYPE_SEARCH` — спецразмещение в поиске; "
            "`PRODUCT_PLACEMENT_TYPE_MAIN` и `PRODUCT_PLACEMENT_TYPE_SEARCH` — спецразмещение в "
            "поиске и на главной."
        ),
        "Спецразмещение (PRODUCT_PLACEMENT_TYPE_*): `MAIN` — на главной; `SEARCH` — в "
        "поиске; оба — в поиске и на главной.",
    ),
    (
        _literal(
            "Состояние кампании: `CAMPAIGN_STATE_RUNNING` — активная кампания; "
            "`CAMPAIGN_STATE_PLANNED` — кампания, сроки проведения которой ещё не наступили; "
            "`CAMPAIGN_STATE_STOPPED` — кампания, приостановленная из-за нехватки бюджета; "
            "`CAMPAIGN_STATE_INACTIVE` — кампания, остановленная владельцем; "
            "`CAMPAIGN_STATE_ARCHIVED` — архивная кампания; "
            "`CAMPAIGN_STATE_MODERATION_DRAFT` — отредактированная кампания до отправки на "
            "модерацию; `CAMPAIGN_STATE_MODERATION_IN_PROGRESS` — кампания, отправленная на "
            "модерацию; `CAMPAIGN_STATE_MODERATION_FAILED` — кампания, непрошедшая модерацию; "
            "`CAMPAIGN_STATE_FINISHED` — кампания завершена, дата окончания в прошлом, такую "
            "кампанию нельзя изменить, можно только клонировать или создать новую."
        ),
        "Состояние кампании: `CAMPAIGN_STATE_RUNNING` — активна; "
        "`CAMPAIGN_STATE_PLANNED` — ещё не началась; "
        "`CAMPAIGN_STATE_STOPPED` — нет бюджета; "
        "`CAMPAIGN_STATE_INACTIVE` — остановлена владельцем; "
        "`CAMPAIGN_STATE_ARCHIVED` — в архиве; "
        "`CAMPAIGN_STATE_MODERATION_DRAFT` — изменена, не отправлена на модерацию; "
        "`CAMPAIGN_STATE_MODERATION_IN_PROGRESS` — на модерации; "
        "`CAMPAIGN_STATE_MODERATION_FAILED` — не прошла модерацию; "
        "`CAMPAIGN_STATE_FINISHED` — завершена (дата окончания прошла): не изменить, "
        "только клонировать или создать новую.",
    ),
    (
        _regex(
            r"Разрешение на автоматическое добавление товаров из категории, которая указана в "
            r"(`\w+`), в кампании с автостратегией (`\w+`): (`\w+_UNKNOWN`) — стратегия "
            r"добавления товаров в кампанию не установлена; (`\w+_MANUAL`) — добавлять товары "
            r"в кампанию можно только вручную; (`\w+_AUTO`) — можно добавлять товары категории "
            r"\1 в кампанию автоматически\. Если тип разрешения пустой или было передано \3, "
            r"добавлять товары в кампанию можно только вручную\. Для кампаний без "
            r"автостратегии \2 возвращается значение \3\.",
            needs="Разрешение на автоматическое добавление товаров",
        ),
        r"Автодобавление в кампанию с автостратегией \2 товаров категории \1: \3 или пусто — "
        r"стратегия не установлена, только вручную (так у кампаний без \2); "
        r"\4 — только вручную; \5 — автоматически.",
    ),
    (_literal(" — не использовать автостратегию."), " — без автостратегии."),
    (
        _regex(
            r" — (максимум кликов|средняя стоимость клика) для Поиска( и рекомендаций)?;",
            needs=" для Поиска",
        ),
        lambda m: (
            f" — {'макс. кликов' if m.group(1).startswith('макс') else 'средняя цена клика'}"
            f" в Поиске{' и рекомендациях' if m.group(2) else ''};"
        ),
    ),
    (
        _literal(
            "Тип рекламируемой кампании: `SKU` — Оплата за клик; `BANNER` — Баннерная "
            "рекламная кампания;"
        ),
        "Тип кампании: `SKU` — Оплата за клик; `BANNER` — баннерная;",
    ),
    (_literal("Место размещения продвигаемых товаров:"), "Размещение товаров:"),
    (_literal("Место размещения рекламы:"), "Размещение рекламы:"),
    (
        _literal(
            "Тип отчёта: `TRAFFIC_SOURCES` — отчёт по источникам трафика. `ORDERS` — "
            "отчёт по заказам."
        ),
        "Отчёт: `TRAFFIC_SOURCES` — по источникам трафика; `ORDERS` — по заказам.",
    ),
    # Other parameters.
    (
        _regex(
            r"Информация о кампании\. Обязательный параметр, если в параметре (`\w+`) "
            r"включена автостратегия\.",
            needs="Информация о кампании. Обязательный параметр",
        ),
        r"Информация о кампании; обязателен, если в \1 включена автостратегия.",
    ),
    (
        _regex(
            r"Признак, что запрашивается отчёт с аналитикой внешнего трафика\. Передавайте "
            r"(`true`) в этом параметре\.",
            needs="Признак, что запрашивается отчёт с аналитикой внешнего трафика.",
        ),
        r"Отчёт с аналитикой внешнего трафика: передавайте \1.",
    ),
    (_literal("Номер страницы. Пагинация начинается с единицы."), "Номер страницы, с 1."),
    (_literal("Уникальный ID запроса."), "UUID запроса."),
    # Words the API implies: every product here is advertised, every campaign an ad campaign.
    (_regex(r"^SKU (?:рекламируемого|продвигаемого) товара\.$", needs=" товара."), "SKU товара."),
    (_literal("Название рекламной кампании."), "Название кампании."),
    (_literal("Товары, которые добавили в кампанию."), "Товары, добавленные в кампанию."),
    (_literal("Информация об автостратегии."), "Автостратегия."),
    (
        _regex(
            r"^Параметры для расчёта при (создании|обновлении) кампании\.$",
            needs="Параметры для расчёта при ",
        ),
        r"Для расчёта при \1 кампании.",
    ),
    (_literal(", единица измерения — процент от цены товара."), ", % от цены товара."),
    # Tool descriptions (after the summary and a full stop). "Метод для ..." repeats the
    # summary: only what it adds is kept, and the summary still leads.
    (
        _regex(
            r"объектов в кампании\. Метод для получения списка продвигаемых объектов в "
            r"кампаниях («[^»]+»), («[^»]+») и («[^»]+»)\. Чтобы получить товары в кампании "
            r"(«[^»]+»), используйте (`\w+`)\.",
            needs=". Метод для получения списка продвигаемых объектов",
        ),
        r"объектов в кампании (\1, \2, \3); для \4 - \5.",
    ),
    (
        _regex(
            r"через (\w+)\. Метод для получения списка отчётов, которые сгенерированы через "
            r"\1 ([^.]+)\.",
            needs=". Метод для получения списка отчётов",
        ),
        r"через \1 \2.",
    ),
    (
        _literal("Отчёт по заказам. Метод для получения отчёта по заказам на баннеры."),
        "Отчёт по заказам на баннеры.",
    ),
    (
        _literal("Параметры кампании. Метод для изменения параметров кампании."),
        "Параметры кампании: изменить.",
    ),
    (
        _literal(
            "Создать кампанию с оплатой за клики. Метод для создания товарной рекламной "
            "кампании с оплатой за клики."
        ),
        "Создать кампанию с оплатой за клики (товарную).",
    ),
    (
        _regex(
            r"Чтобы создать кампании со спецразмещением, в запросе укажите `([^`]+)` и `([^`]+)`\.",
            needs="Чтобы создать кампании со спецразмещением",
        ),
        r"Со спецразмещением: \1, \2.",
    ),
    (
        _regex(
            r"\. Метод для запуска формирования отчёта с аналитикой внешнего трафика\.",
            needs=". Метод для запуска формирования отчёта",
        ),
        ".",
    ),
    (
        _regex(
            r"\. Метод возвращает префикс для метки (\w+) по ID организации\.",
            needs=". Метод возвращает префикс для метки ",
        ),
        r": префикс метки \1 по ID организации.",
    ),
    (
        _literal(
            " Используйте метод, чтобы узнать минимальную ставку для одного или нескольких "
            "товаров по SKU."
        ),
        "",  # the summary and the `array` of SKUs say it
    ),
    # The period arguments are the only ones of these tools: their own texts say it.
    (
        _regex(
            r" (?:В запросе укажите временной промежуток с помощью полей `\w+` и `\w+`|"
            r"В параметрах запроса `\w+` и `\w+` укажите промежуток времени)\.",
            needs=" укажите ",
        ),
        "",
    ),
    # VendorStatisticsSubmitRequest: its `dateTo` text says the same.
    (
        _regex(
            r" Разница между (`\w+`) и `\w+` должна быть не больше трёх месяцев\. Если "
            r"разница больше, отчёт сформируется за 3 месяца с даты, указанной в \1\.",
            needs="` должна быть не больше трёх месяцев.",
        ),
        "",
    ),
    (
        _regex(
            r" При успешном запросе ссылка на скачивание отчёта в формате (CSV) или (ZIP) "
            r"появится в поле (`\w+`) при использовании метода «Статус отчета» \((`\w+`)\)\.",
            needs=" При успешном запросе ссылка на скачивание отчёта",
        ),
        r" Ссылка на готовый \1/\2 - и в \3 ответа \4.",
    ),
    # After the asynchronous workflow: the tool's `campaigns` text says when it is CSV (and
    # when a ZIP of CSV files).
    (
        _regex(
            r"(DownloadStatistics`\.) Формат отчёта — CSV\.",
            needs="DownloadStatistics`. Формат отчёта — CSV.",
        ),
        r"\1",
    ),
    (_literal("Формат отчёта — CSV."), "CSV."),
    (
        _regex(
            r"Если в запросе не указаны значения полей (`\w+`) и (`\w+`), то в ответе будет "
            r"статистика за последние (\d+) дней\.",
            needs="Если в запросе не указаны значения полей ",
        ),
        r"Без \1/\2 - за последние \3 дней.",
    ),
    (
        _regex(
            r"(\d+) сентября (\d+) года метод будет отключён\. Теперь минимальный бюджет "
            r"рассчитывается по формуле: (\d+) (\d+) рублей × (\d+) SKU ?\.",
            needs=" года метод будет отключён.",
        ),
        r"Отключается \1 сентября \2; минимум теперь \3\4 ₽ × \5 SKU.",
    ),
    (
        _regex(
            r"Этот метод перезаписывает список стоп-слов и фразы со ставками\. Исходные "
            r"стоп-слова и фразы со ставками удаляются\. Чтобы обновить ставки в кампании с "
            r"размещением в карточке товара, передайте значения параметров (`\w+`) и (`\w+`)\. "
            r"Для кампаний с включённой автостратегией параметр \2 не учитывается\.",
            needs="Этот метод перезаписывает список стоп-слов",
        ),
        r"Перезаписывает стоп-слова и фразы со ставками. В карточке товара - \1 и \2; с "
        r"автостратегией \2 не учитывается.",
    ),
    (
        _regex(
            r"В кампанию можно добавить не более (\d+) товаров\. \*\*Рекомендации по заполнению "
            r"параметров для разных кампаний\*\*; Для добавления в кампанию товаров передайте "
            r"значения параметров (`\w+`) и (`\w+`)\. Если параметр \3 не указан, "
            r"автоматически задаётся конкурентная ставка\. Для кампании с включённой "
            r"автостратегией параметр \3 не учитывается\. Для кампании с включённой "
            r"автостратегией можно добавлять товары только из категории (`[\w.]+`)\.",
            needs="В кампанию можно добавить не более ",
        ),
        r"До \1 товаров в кампании: \2 и \3 (без \3 - конкурентная ставка); с "
        r"автостратегией \3 не учитывается, товары - только из \4.",
    ),
    (
        _regex(
            r"Если товар не добавлен в кампанию, в параметре (`\w+`) будет значение (`\d+`)\.",
            needs="Если товар не добавлен в кампанию, в параметре ",
        ),
        r"\1 \2 - товар не в кампании.",
    ),
    (
        _regex(
            r"(?:В одном|За один) запрос[е]? (?:вы )?(?:можете|можно) передать (?:до|максимум) "
            r"(\d+) (\w+)\.",
            needs=" передать ",
        ),
        r"До \1 \2 за запрос.",
    ),
    (
        _literal("Если товар ещё не добавлен в продвижение, система добавит его автоматически."),
        "Товар не в продвижении - добавит.",
    ),
    (_literal("Участие в акции доступно только для продавцов."), "Только для продавцов."),
)

GENERIC_PHRASES: Phrases = (
    # "идентификатор" in any case and number; "ID" says the same.
    (_regex(r"\b[Ии]дентификатор(?:ы|а|ов|у|ом|ами|ам|ах|е)?\b", needs="дентификатор"), "ID"),
    # The schema's `array` says it is a list.
    (_regex(r"\bСписок (ID|SKU) ", needs="Список "), r"\1 "),
    # "Возможные значения:" only introduces the list that follows it.
    (_regex(r"\.\s+Возможные значения:", needs="Возможные значения:"), ":"),
    # A struck-through value the text calls obsolete: say so in its item, once.
    (
        _regex(r"~~(`[^`]+`)~~ — ([^.;]+)\. Значение устарело\.", needs=". Значение устарело."),
        r"\1 — устарело: \2.",
    ),
)

# An example date after the text has named the date's layout ("в формате ГГГГ-ММ-ДД").
DATE_LAYOUT = re.compile(r"ГГГГ-ММ-ДД|YYYY-MM-DD")
DATE_EXAMPLE = re.compile(r"\s*(?:Например|For example|e\.g\.)[:,]?\s*`\d{4}-\d{2}-\d{2}`\.?")
# What the schema's `format: date-time` already says.
RFC3339_NOTE = _regex(r",? в формате RFC ?3339|,? in RFC ?3339(?: format)?", needs="RFC")


def rephrase(text: str) -> str:
    """`text` (one line) with the known long wordings replaced by short ones, facts kept."""
    if DATE_LAYOUT.search(text):
        text = DATE_EXAMPLE.sub("", text)
    for pattern, replacement in (*GENERIC_PHRASES, *OZON_PHRASES):
        if pattern.needs in text:  # as `pattern.sub` checks, without a call for each miss
            text = pattern.sub(replacement, text)
    return text


# Markdown code spans around one identifier or number, and the long dashes: three and two
# bytes of typography per use that tell an agent nothing the plain characters do not.
_CODE_WORD = LazyPattern(r"`([\w.+-]+)`", needs="`")


def plain_typography(text: str) -> str:
    """`text` with ASCII hyphens for long dashes and identifiers outside code spans."""
    return _CODE_WORD.sub(r"\1", text).replace("—", "-").replace("–", "-")
