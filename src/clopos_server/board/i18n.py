"""The board's words in every language it speaks: one catalogue, English message ids to translations.

A staff user's language (``staff_users.language``, chosen on the board) picks the :class:`Texts` every page,
card, message and script string of that user's board is written with, and how money and dates read:
``16.20 AZN`` and ``2026-12-05`` in English, ``16,20 ₼`` and ``05.12.2026`` in Azerbaijani. A message id
missing from a catalogue reads in English.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

LANGUAGES = {"en": "English", "az": "Azərbaycanca"}
DEFAULT_LANGUAGE = "en"
CURRENCY_SYMBOLS = {"AZN": "₼"}

AZ: dict[str, str] = {
    # top bar and page
    "Orders": "Sifarişlər",
    "Order board": "Sifariş lövhəsi",
    "Skip to the orders": "Sifarişlərə keç",
    "Venue": "Filial",
    "Open": "Aç",
    "Connecting": "Qoşulur",
    "Live": "Canlı",
    "Reconnecting": "Yenidən qoşulur",
    "Offline, retrying": "Bağlantı yoxdur, yenidən cəhd edilir",
    "Sound": "Səs",
    "On": "Açıq",
    "Off": "Bağlı",
    "Tap anywhere to allow sound": "Səsə icazə vermək üçün ekrana toxunun",
    "Test sound": "Səsi yoxla",
    "Alert after": "Xəbərdarlıq",
    "Alert when a new order waits longer than": "Yeni sifariş bundan çox gözləyəndə xəbərdar et",
    "{n} min": "{n} dəq",
    "Today": "Bu gün",
    "Stop list": "Stop-list",
    "Sign out": "Çıxış",
    "Signed in": "Daxil olub",
    "Language": "Dil",
    "Back to the board": "Lövhəyə qayıt",
    # columns and statuses
    "New": "Yeni",
    "In progress": "İcrada",
    "Done": "Bitib",
    "waiting for you": "sizi gözləyir",
    "accepted, open": "qəbul edilib, açıq",
    "last 24 h": "son 24 saat",
    "No orders": "Sifariş yoxdur",
    "Accepted": "Qəbul edilib",
    "Delivered": "Çatdırılıb",
    "Ignored": "İmtina edilib",
    # cards
    "Order": "Sifariş",
    "Guest": "Qonaq",
    "Subtotal": "Ara cəm",
    "Discount": "Endirim",
    "Service charge": "Xidmət haqqı",
    "Delivery fee": "Çatdırılma haqqı",
    "Tax": "Vergi",
    "incl. tax": "o cümlədən vergi",
    "Total": "Cəmi",
    "Close receipt #{id}": "Çek #{id} bağla",
    "Close · {total}": "Bağla · {total}",
    "{method}, amount paid ({currency})": "{method}, ödənilən məbləğ ({currency})",
    "Receipt #{id} closed": "Çek #{id} bağlandı",
    "Receipt #{id} open": "Çek #{id} açıqdır",
    "Accept": "Qəbul et",
    "Ignore": "İmtina et",
    "Mark delivered": "Çatdırıldı",
    "{action} order #{id}": "{action}: sifariş #{id}",
    "Ignore order #{id}? It will not be made.": "Sifariş #{id} imtina edilsin? O hazırlanmayacaq.",
    "Yes, ignore": "Bəli, imtina et",
    "Keep": "Saxla",
    "Timeline": "Tarixçə",
    "Arrived": "Daxil oldu",
    "by {who}": "({who})",
    "the integrator": "inteqrator",
    "staff user {id}": "işçi {id}",
    "Kitchen ticket": "Mətbəx çeki",
    "Receipt": "Çek",
    "Print the kitchen ticket of order #{id}": "Sifariş #{id} üçün mətbəx çekini çap et",
    "Print the customer receipt of order #{id}": "Sifariş #{id} üçün müştəri çekini çap et",
    "New order {title}: {sale}, {customer}, {total}": "Yeni sifariş {title}: {sale}, {customer}, {total}",
    # the script's words
    "just now": "indicə",
    "{h} h {m} min": "{h} saat {m} dəq",
    "{d} d": "{d} gün",
    "New order": "Yeni sifariş",
    "Waiting {age}: over {n} min": "Gözləyir {age}: {n} dəqiqədən çox",
    "Order {title} has waited {age}": "Sifariş {title} {age} gözləyib",
    "{n} waiting too long": "{n} çox gözləyir",
    "No connection to the server": "Serverlə əlaqə yoxdur",
    "The server answered {status}": "Server {status} cavabı verdi",
    "Not done": "Edilmədi",
    # stop list
    "Close": "Bağla",
    "Brand-wide. 0 = sold out; a limit counts down as orders are accepted.": (
        "Bütün brend üzrə. 0 = bitib; limit sifarişlər qəbul edildikcə azalır."
    ),
    "Nothing is limited.": "Məhdudiyyət yoxdur.",
    "Product": "Məhsul",
    "Choose a product": "Məhsul seçin",
    "Portions left": "Qalan porsiya",
    "0 = sold out": "0 = bitib",
    "Set limit": "Limit qoy",
    "Clear": "Sil",
    "sold out": "bitib",
    "{n} left": "{n} qalıb",
    # answers to the buttons
    "Order #{id} accepted": "Sifariş #{id} qəbul edildi",
    "Order #{id} ignored": "Sifariş #{id} imtina edildi",
    "Order #{id} delivered": "Sifariş #{id} çatdırıldı",
    "Limit cleared": "Limit silindi",
    "Marked sold out": "Bitib kimi qeyd edildi",
    "Limit set: {n} left": "Limit qoyuldu: {n} qalıb",
    "Choose a product first.": "Əvvəlcə məhsul seçin.",
    "Confirm ignoring the order first.": "Əvvəlcə imtinanı təsdiqləyin.",
    "The amounts entered add up to {paid}, but the receipt total is {total}: they must be equal.": (
        "Daxil edilən məbləğlərin cəmi {paid}, çekin cəmi isə {total}: onlar bərabər olmalıdır."
    ),
    "Enter the amount paid with at least one payment method.": (
        "Ən azı bir ödəniş üsulu ilə ödənilən məbləği daxil edin."
    ),
    # printouts
    "Time": "Vaxt",
    "Sale type": "Satış növü",
    "Customer": "Müştəri",
    "Phone": "Telefon",
    "Address": "Ünvan",
    "Print": "Çap et",
    # today
    "Business day {day}": "İş günü {day}",
    "Closed receipts": "Bağlanmış çeklər",
    "Revenue (closed receipts)": "Gəlir (bağlanmış çeklər)",
    "Average time to accept": "Qəbul etməyə orta vaxt",
    "Average time to deliver": "Çatdırmağa orta vaxt",
    "Search today’s orders": "Bugünkü sifarişlərdə axtar",
    "Number, customer name or phone": "Nömrə, müştəri adı və ya telefon",
    "Search": "Axtar",
    "No order of today matches “{query}”.": "“{query}” üzrə bu gün sifariş tapılmadı.",
    "{n} orders": "{n} sifariş",
    "{n} order": "{n} sifariş",
    ", the first {n} shown": ", ilk {n} göstərilir",
    "Status": "Status",
    "Ticket": "Mətbəx çeki",
    "Kitchen ticket of order #{id}": "Sifariş #{id} üçün mətbəx çeki",
    "Receipt of order #{id}": "Sifariş #{id} üçün çek",
    "{m} min {s} s": "{m} dəq {s} san",
    "{s} s": "{s} san",
    # the cash-shift page (board/cash_shift.py)
    "Cash shift": "Kassa növbəsi",
    "Open a shift": "Növbə aç",
    "Open the shift": "Növbəni aç",
    "Close the shift": "Növbəni bağla",
    "Terminal": "Terminal",
    "Terminal {n}": "Terminal {n}",
    "open": "açıq",
    "Opened": "Açılıb",
    "Cash at the start": "Başlanğıcda nağd",
    "Receipts": "Çeklər",
    "Refunds": "Qaytarmalar",
    "Expected cash": "Gözlənilən nağd",
    "Cash counted": "Sayılan nağd",
    "Difference": "Fərq",
    "Closed": "Bağlanıb",
    "Closed shifts": "Bağlanmış növbələr",
    "No sales yet": "Hələ satış yoxdur",
    "Not available": "Mövcud deyil",
    "Cash shifts are not enabled for this brand.": "Bu brend üçün kassa növbələri aktiv deyil.",
    "Not allowed": "İcazə yoxdur",
    "Your role cannot work cash shifts.": "Sizin rolunuz kassa növbələri ilə işləyə bilməz.",
    # waiter calls (board/waiter_calls.py)
    "Waiter calls": "Ofisiant çağırışları",
    "Waiter": "Ofisiant",
    "Bill": "Hesab",
    "Bill ({method})": "Hesab ({method})",
    "Table {table} · {hall}": "Masa {table} · {hall}",
    "{table} calls: {what}": "{table} çağırır: {what}",
    "Acknowledge": "Gördüm",
    "Call from table {table} acknowledged": "{table} masasının çağırışı görüldü",
    # the stock page (board/stock.py)
    "Stock": "Anbar",
    "Back to stock": "Anbara qayıt",
    "Only managers can work with stock.": "Anbarla yalnız menecerlər işləyə bilər.",
    "Record a stock document": "Anbar sənədi yaz",
    "Type": "Növ",
    "Storage": "Anbar",
    "To storage (transfer)": "Hansı anbara (köçürmə)",
    "Supplier": "Təchizatçı",
    "Lines: product id, quantity and cost, one per line": (
        "Sətirlər: məhsul id, miqdar və maya dəyəri, hər sətirdə bir"
    ),
    "Note": "Qeyd",
    "Save as a draft": "Qaralama kimi saxla",
    "Record": "Yaz",
    "Stock documents": "Anbar sənədləri",
    "No documents yet": "Hələ sənəd yoxdur",
    "Number": "Nömrə",
    "Date": "Tarix",
    "Value": "Dəyər",
    "Published": "Dərc edilib",
    "Draft": "Qaralama",
    "Publish": "Dərc et",
    "Stock in {storage}": "{storage} qalıqları",
    "Nothing in stock": "Anbarda heç nə yoxdur",
    "Quantity": "Miqdar",
    "Average cost": "Orta maya dəyəri",
    "Supply": "Mədaxil",
    "Transfer": "Köçürmə",
    "Waste": "Silinmə",
    "Return": "Qaytarma",
    "Production": "İstehsal",
    "Inventory count": "İnventarizasiya",
    "Return to the supplier": "Təchizatçıya qaytarma",
    "Initial stock": "İlkin qalıq",
}

CATALOGUES: dict[str, dict[str, str]] = {"en": {}, "az": AZ}

# what board.js says, handed to it with the page (data-texts)
SCRIPT_TEXTS = (
    "just now",
    "{n} min",
    "{h} h {m} min",
    "{d} d",
    "New",
    "New order",
    "Waiting {age}: over {n} min",
    "Order {title} has waited {age}",
    "{n} waiting too long",
    "No connection to the server",
    "The server answered {status}",
    "Not done",
    "Done",
    "Live",
    "Reconnecting",
    "Offline, retrying",
    "On",
    "Off",
    "Tap anywhere to allow sound",
    "Yes, ignore",
    "Keep",
)


@dataclass(frozen=True, slots=True)
class Texts:
    """One language's words, and its way of writing money and dates."""

    lang: str = DEFAULT_LANGUAGE

    def __call__(self, msgid: str, **values: Any) -> str:
        text = CATALOGUES.get(self.lang, {}).get(msgid, msgid)
        return text.format(**values) if values else text

    def money(self, plain: str, currency: str) -> str:
        """``plain`` is the amount as a form takes it (``1216.20``); grouped, with the currency."""
        whole, dot, minor = plain.partition(".")
        sign = "-" if whole.startswith("-") else ""
        digits = whole.lstrip("-")
        if not digits.isdigit():
            return plain
        if self.lang == "az":
            grouped = f"{int(digits):,}".replace(",", "\u00a0")
            return f"{sign}{grouped}{',' if dot else ''}{minor} {CURRENCY_SYMBOLS.get(currency, currency)}"
        return f"{sign}{int(digits):,}{dot}{minor} {currency}"

    def decimal(self, plain: str) -> str:
        """A plain amount (``16.20``) with the language's decimal mark, for a form field."""
        return plain.replace(".", ",") if self.lang == "az" else plain

    def day(self, value: date) -> str:
        return value.strftime("%d.%m.%Y") if self.lang == "az" else value.isoformat()

    def script(self) -> dict[str, str]:
        return {msgid: self(msgid) for msgid in SCRIPT_TEXTS}


def texts_for(lang: str | None) -> Texts:
    return Texts(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)


ENGLISH = Texts()
