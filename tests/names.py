"""A delegate's name in each script a congress meets, shared by the unit and e2e tests:
every one must print (cme.certificate.fonts covers each with a bundled font)."""

from __future__ import annotations

NAMES_BY_SCRIPT = {
    "Latin": "Łukasz Żółć",
    "Vietnamese": "Nguyễn Thị Minh Khai",
    "Greek": "Γιώργος Παπαδόπουλος",
    "Cyrillic": "Дмитрий Иванов",
    "Chinese": "李小龍",
    "Japanese": "山田 はなこ",
    "Korean": "김민준",
    "Arabic": "محمد عبد الله",
    "Persian": "پریسا رضایی",
    "Urdu": "عائشہ گُل",
    "Devanagari": "प्रियंका चोपड़ा",
    "Hebrew": "שרה לוי",
    "Thai": "สมศักดิ์ ใจดี",
    "Georgian": "ნინო ბერიძე",
    "Armenian": "Արամ Խաչատրյան",
    "Ethiopic": "አበበ ቢቂላ",
    "Bengali": "রবীন্দ্রনাথ ঠাকুর",
    "Tamil": "முத்துலட்சுமி ரெட்டி",
    "Telugu": "సుబ్రహ్మణ్యం చంద్రశేఖర్",
    "Gujarati": "નરેન્દ્ર મોદી",
    "Gurmukhi": "ਹਰਪ੍ਰੀਤ ਸਿੰਘ",
    "Kannada": "ಕೃಷ್ಣಮೂರ್ತಿ ಶರ್ಮಾ",
    "Malayalam": "ശ്രീകുമാർ നായർ",
    "Sinhala": "ශ්‍රියානි පෙරේරා",  # a ZWJ in ශ්‍රි: the rakaransaya conjunct
    "Khmer": "សុខ ច័ន្ទសុភា",
    "Myanmar": "အောင်ဆန်းစုကြည်",
    "Odia": "ପ୍ରିୟଙ୍କା ମହାପାତ୍ର",
    "Lao": "ສົມພອນ ພົມມະຈັນ",
    "Latin and Han": "Wei Zhang (张伟)",
    "Latin and Hebrew": "Sarah לוי-Cohen",
}
