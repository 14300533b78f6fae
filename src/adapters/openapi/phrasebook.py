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
"""

from __future__ import annotations

import re
from collections.abc import Callable

Replacement = str | Callable[[re.Match[str]], str]

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


def _literal(text: str) -> re.Pattern[str]:
    return re.compile(re.escape(text))


# The Ozon spec's long wordings (one-line text, after `GENERIC_PHRASES`) → the same facts.
OZON_PHRASES: tuple[tuple[re.Pattern[str], Replacement], ...] = (
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
        re.compile(
            r"ID кампаний, для которых необходимо подготовить отчёт\. Формат отчёта: "
            r"CSV — если в списке одна кампания\. ZIP архив — если в списке несколько "
            r"кампаний\. Каждый файл соответствует одной кампании из списка\. Имя файла вида "
            r"(`[^`]+`)\."
        ),
        r"ID кампаний; одна — CSV, несколько — ZIP из \1.",
    ),
    (
        re.compile(
            r"ID кампаний, для которых необходимо вывести информацию\. Если передать "
            r"значение, то в ответе будет информация по кампаниям, которые указаны в поле "
            r"(`\w+`)\. Если поле пустое, информация будет отдана по всем кампаниям\."
        ),
        r"ID кампаний; в ответе только указанные в \1, пусто — все.",
    ),
    # Report periods (`RFC 3339` is gone already where the schema says `date-time`).
    (
        re.compile(r"(Начальная|Конечная) дата периода отчёта(?: в формате (ГГГГ-ММ-ДД))?\."),
        _period_bound,
    ),
    (
        re.compile(r"Максимальный период, за который можно получить отчёт — (\d+) дн\w*\."),
        r"Период — до \1 дней.",
    ),
    (
        _literal("Начало отчётного периода. Дата должна быть не ранее 1 января 2022 года."),
        "Начало отчётного периода, не ранее 2022-01-01.",
    ),
    (
        re.compile(
            r"Конец отчётного периода\. Дата должна быть позднее (`\w+`) не больше чем на "
            r"(\d+) месяца\. Если дата позднее трёх месяцев, отчёт сформируется за \2 месяца "
            r"с даты, указанной в \1\."
        ),
        r"Конец отчётного периода, не позже \1 + \2 месяца (иначе отчёт — за \2 месяца "
        r"с \1).",
    ),
    # Campaign dates.
    (
        re.compile(r"Дата (начала|окончания) рекламной кампании по московскому времени\."),
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
    (re.compile(r"\. Не может быть раньше (текущей даты|даты начала)\."), r", не раньше \1."),
    # Budgets: the unit (said once by `descriptions._REPHRASED`), the default, the rules.
    (
        re.compile(
            r"Ограничение (дневного|недельного) бюджета рекламной кампании\. (.+?) Если "
            r"параметр не заполнен, \w+ бюджет не ограничен\. После создания рекламной кампании "
            r"изменить бюджет с (\w+) на (\w+) и наоборот не получится\."
        ),
        _budget_limit,
    ),
    (
        re.compile(
            r"Ограничение общего бюджета рекламной кампании\. (.+?) Учитывается только для "
            r"автоматических кампаний брендов и агентств\. В других организациях установить "
            r"новое ограничение общего бюджета не получится\. Если у кампании уже установлен "
            r"бюджет, можно: Убрать ограничения: передайте (`0`) в этом параметре\. Не менять "
            r"бюджет кампании\. Когда он будет исчерпан, уберите ограничения бюджета или "
            r"создайте новую кампанию с неограниченным бюджетом\."
        ),
        lambda m: (
            f"Общий бюджет {m.group(1)[0].lower()}{m.group(1)[1:]} Только для автоматических "
            f"кампаний брендов и агентств. Если бюджет есть: {m.group(2)} — снять лимит; или, "
            "когда исчерпан, снять лимит или создать кампанию без лимита."
        ),
    ),
    (
        re.compile(
            r"Процент автоподнятия бюджета, от (`\d+`) до (`\d+`)\. (`0`), если автоподнятие "
            r"отключено\."
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
        re.compile(
            r"Разрешение на автоматическое добавление товаров из категории, которая указана в "
            r"(`\w+`), в кампании с автостратегией (`\w+`): (`\w+_UNKNOWN`) — стратегия "
            r"добавления товаров в кампанию не установлена; (`\w+_MANUAL`) — добавлять товары "
            r"в кампанию можно только вручную; (`\w+_AUTO`) — можно добавлять товары категории "
            r"\1 в кампанию автоматически\. Если тип разрешения пустой или было передано \3, "
            r"добавлять товары в кампанию можно только вручную\. Для кампаний без "
            r"автостратегии \2 возвращается значение \3\."
        ),
        r"Автодобавление в кампанию с автостратегией \2 товаров категории \1: \3 или пусто — "
        r"стратегия не установлена, только вручную (так у кампаний без \2); "
        r"\4 — только вручную; \5 — автоматически.",
    ),
    (_literal(" — не использовать автостратегию."), " — без автостратегии."),
    (
        re.compile(r" — (максимум кликов|средняя стоимость клика) для Поиска( и рекомендаций)?;"),
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
        re.compile(
            r"Информация о кампании\. Обязательный параметр, если в параметре (`\w+`) "
            r"включена автостратегия\."
        ),
        r"Информация о кампании; обязателен, если в \1 включена автостратегия.",
    ),
    (
        re.compile(
            r"Признак, что запрашивается отчёт с аналитикой внешнего трафика\. Передавайте "
            r"(`true`) в этом параметре\."
        ),
        r"Отчёт с аналитикой внешнего трафика: передавайте \1.",
    ),
    (_literal("Номер страницы. Пагинация начинается с единицы."), "Номер страницы, с 1."),
    (_literal("Уникальный ID запроса."), "UUID запроса."),
    # Words the API implies: every product here is advertised, every campaign an ad campaign.
    (re.compile(r"^SKU (?:рекламируемого|продвигаемого) товара\.$"), "SKU товара."),
    (_literal("Название рекламной кампании."), "Название кампании."),
    (_literal("Товары, которые добавили в кампанию."), "Товары, добавленные в кампанию."),
    (_literal("Информация об автостратегии."), "Автостратегия."),
    (
        re.compile(r"^Параметры для расчёта при (создании|обновлении) кампании\.$"),
        r"Для расчёта при \1 кампании.",
    ),
    (_literal(", единица измерения — процент от цены товара."), ", % от цены товара."),
    # Tool descriptions (after the summary and a full stop). "Метод для ..." repeats the
    # summary: only what it adds is kept, and the summary still leads.
    (
        re.compile(
            r"объектов в кампании\. Метод для получения списка продвигаемых объектов в "
            r"кампаниях («[^»]+»), («[^»]+») и («[^»]+»)\. Чтобы получить товары в кампании "
            r"(«[^»]+»), используйте (`\w+`)\."
        ),
        r"объектов в кампании (\1, \2, \3); для \4 - \5.",
    ),
    (
        re.compile(
            r"через (\w+)\. Метод для получения списка отчётов, которые сгенерированы через "
            r"\1 ([^.]+)\."
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
        re.compile(
            r"Чтобы создать кампании со спецразмещением, в запросе укажите `([^`]+)` и `([^`]+)`\."
        ),
        r"Со спецразмещением: \1, \2.",
    ),
    (
        re.compile(r"\. Метод для запуска формирования отчёта с аналитикой внешнего трафика\."),
        ".",
    ),
    (
        re.compile(r"\. Метод возвращает префикс для метки (\w+) по ID организации\."),
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
        re.compile(
            r" (?:В запросе укажите временной промежуток с помощью полей `\w+` и `\w+`|"
            r"В параметрах запроса `\w+` и `\w+` укажите промежуток времени)\."
        ),
        "",
    ),
    # VendorStatisticsSubmitRequest: its `dateTo` text says the same.
    (
        re.compile(
            r" Разница между (`\w+`) и `\w+` должна быть не больше трёх месяцев\. Если "
            r"разница больше, отчёт сформируется за 3 месяца с даты, указанной в \1\."
        ),
        "",
    ),
    (
        re.compile(
            r" При успешном запросе ссылка на скачивание отчёта в формате (CSV) или (ZIP) "
            r"появится в поле (`\w+`) при использовании метода «Статус отчета» \((`\w+`)\)\."
        ),
        r" Ссылка на готовый \1/\2 - и в \3 ответа \4.",
    ),
    # After the asynchronous workflow: the tool's `campaigns` text says when it is CSV (and
    # when a ZIP of CSV files).
    (re.compile(r"(DownloadStatistics`\.) Формат отчёта — CSV\."), r"\1"),
    (_literal("Формат отчёта — CSV."), "CSV."),
    (
        re.compile(
            r"Если в запросе не указаны значения полей (`\w+`) и (`\w+`), то в ответе будет "
            r"статистика за последние (\d+) дней\."
        ),
        r"Без \1/\2 - за последние \3 дней.",
    ),
    (
        re.compile(
            r"(\d+) сентября (\d+) года метод будет отключён\. Теперь минимальный бюджет "
            r"рассчитывается по формуле: (\d+) (\d+) рублей × (\d+) SKU ?\."
        ),
        r"Отключается \1 сентября \2; минимум теперь \3\4 ₽ × \5 SKU.",
    ),
    (
        re.compile(
            r"Этот метод перезаписывает список стоп-слов и фразы со ставками\. Исходные "
            r"стоп-слова и фразы со ставками удаляются\. Чтобы обновить ставки в кампании с "
            r"размещением в карточке товара, передайте значения параметров (`\w+`) и (`\w+`)\. "
            r"Для кампаний с включённой автостратегией параметр \2 не учитывается\."
        ),
        r"Перезаписывает стоп-слова и фразы со ставками. В карточке товара - \1 и \2; с "
        r"автостратегией \2 не учитывается.",
    ),
    (
        re.compile(
            r"В кампанию можно добавить не более (\d+) товаров\. \*\*Рекомендации по заполнению "
            r"параметров для разных кампаний\*\*; Для добавления в кампанию товаров передайте "
            r"значения параметров (`\w+`) и (`\w+`)\. Если параметр \3 не указан, "
            r"автоматически задаётся конкурентная ставка\. Для кампании с включённой "
            r"автостратегией параметр \3 не учитывается\. Для кампании с включённой "
            r"автостратегией можно добавлять товары только из категории (`[\w.]+`)\."
        ),
        r"До \1 товаров в кампании: \2 и \3 (без \3 - конкурентная ставка); с "
        r"автостратегией \3 не учитывается, товары - только из \4.",
    ),
    (
        re.compile(
            r"Если товар не добавлен в кампанию, в параметре (`\w+`) будет значение (`\d+`)\."
        ),
        r"\1 \2 - товар не в кампании.",
    ),
    (
        re.compile(
            r"(?:В одном|За один) запрос[е]? (?:вы )?(?:можете|можно) передать (?:до|максимум) "
            r"(\d+) (\w+)\."
        ),
        r"До \1 \2 за запрос.",
    ),
    (
        _literal("Если товар ещё не добавлен в продвижение, система добавит его автоматически."),
        "Товар не в продвижении - добавит.",
    ),
    (_literal("Участие в акции доступно только для продавцов."), "Только для продавцов."),
)

GENERIC_PHRASES: tuple[tuple[re.Pattern[str], Replacement], ...] = (
    # "идентификатор" in any case and number; "ID" says the same.
    (re.compile(r"\b[Ии]дентификатор(?:ы|а|ов|у|ом|ами|ам|ах|е)?\b"), "ID"),
    # The schema's `array` says it is a list.
    (re.compile(r"\bСписок (ID|SKU) "), r"\1 "),
    # "Возможные значения:" only introduces the list that follows it.
    (re.compile(r"\.\s+Возможные значения:"), ":"),
    # A struck-through value the text calls obsolete: say so in its item, once.
    (re.compile(r"~~(`[^`]+`)~~ — ([^.;]+)\. Значение устарело\."), r"\1 — устарело: \2."),
)

# An example date after the text has named the date's layout ("в формате ГГГГ-ММ-ДД").
DATE_LAYOUT = re.compile(r"ГГГГ-ММ-ДД|YYYY-MM-DD")
DATE_EXAMPLE = re.compile(r"\s*(?:Например|For example|e\.g\.)[:,]?\s*`\d{4}-\d{2}-\d{2}`\.?")
# What the schema's `format: date-time` already says.
RFC3339_NOTE = re.compile(r",? в формате RFC ?3339|,? in RFC ?3339(?: format)?")


def rephrase(text: str) -> str:
    """`text` (one line) with the known long wordings replaced by short ones, facts kept."""
    if DATE_LAYOUT.search(text):
        text = DATE_EXAMPLE.sub("", text)
    for pattern, replacement in (*GENERIC_PHRASES, *OZON_PHRASES):
        text = pattern.sub(replacement, text)
    return text


# Markdown code spans around one identifier or number, and the long dashes: three and two
# bytes of typography per use that tell an agent nothing the plain characters do not.
_CODE_WORD = re.compile(r"`([\w.+-]+)`")
_DASH = re.compile(r"[—–]")


def plain_typography(text: str) -> str:
    """`text` with ASCII hyphens for long dashes and identifiers outside code spans."""
    return _DASH.sub("-", _CODE_WORD.sub(r"\1", text))
