"""Jinja2 templates of the citizen pages (strings, so nothing has to be installed as data).

Mobile first: one column, no text under 16 px, AA contrast, large tap targets; system fonts
only; the style is inline, allowed by its hash in the CSP (`portal.page.STYLE_SOURCE`); no script at all (focus moves with `autofocus`
and the `#rated` fragment). Printed (or saved as PDF) the page is a record: the office, the
code, the status, the dates, and the page's address as text and as a QR code that is fetched
only for printing.
"""

from __future__ import annotations

_BASE = """<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<title>{% block title %}Tra cứu hồ sơ{% endblock %}</title>
<style>
*{box-sizing:border-box}
html{font-size:100%;-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;font:1.0625rem/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",
sans-serif;color:#1b1b1b;background:#f3f5f7;overflow-wrap:break-word}
small{font-size:1rem}
a{color:#0b4f9c}
header{background:#a3161a;color:#fff;padding:.8rem 1rem}
header b{display:block;font-size:1.125rem;line-height:1.3}
header span{display:block}
main{max-width:40rem;margin:0 auto;padding:1rem}
.card{background:#fff;border-radius:.6rem;padding:1rem;margin:0 0 1rem;
box-shadow:0 1px 2px rgba(0,0,0,.08)}
h1{font-size:1.375rem;margin:.1rem 0 .4rem;line-height:1.3}
h2{font-size:1.1875rem;margin:0 0 .6rem}
.tone-ok{border-left:.4rem solid #1c7c3a}
.tone-info{border-left:.4rem solid #1f5fa8}
.tone-warn{border-left:.4rem solid #b06f00}
.tone-bad{border-left:.4rem solid #a3161a}
.kicker{display:block;color:#4a4a4a}
dl{margin:0;display:grid;grid-template-columns:1fr;gap:.15rem .8rem}
dt{color:#4a4a4a;font-size:1rem;margin-top:.55rem}
dd{margin:0;font-weight:600;min-width:0}
@media (min-width:34rem){dl{grid-template-columns:11rem 1fr}dt{margin-top:0}}
ul.items{margin:.2rem 0 .6rem;padding-left:1.3rem}
ul.items li{margin:.2rem 0}
ol.timeline{list-style:none;margin:0;padding:0}
ol.timeline li{padding:.35rem 0 .35rem 1rem;border-left:2px solid #8a96a3;position:relative}
ol.timeline li::before{content:"";position:absolute;left:-.4rem;top:.8rem;width:0;height:0;
border:.35rem solid #1f5fa8;border-radius:50%}
ol.timeline time{display:block;color:#4a4a4a;font-size:1rem}
.note{color:#3d3d3d;font-size:1rem}
.alert{background:#fff4e0;border:1px solid #b06f00;border-radius:.4rem;padding:.6rem .8rem}
.thanks{background:#e8f6ec;border:1px solid #1c7c3a;border-radius:.4rem;padding:.6rem .8rem}
.jump{display:block;padding:.6rem .8rem;margin:.6rem 0 0;border:1px solid #0b4f9c;
border-radius:.4rem;text-align:center;font-weight:600;text-decoration:none}
.call{display:inline-block;padding:.35rem .7rem;border:1px solid #0b4f9c;border-radius:.4rem;
min-height:2.75rem;line-height:1.9;font-weight:700;text-decoration:none}
fieldset{border:0;margin:0 0 .9rem;padding:0;min-width:0}
legend{font-weight:600;margin-bottom:.3rem;padding:0}
.choices{display:flex;flex-wrap:wrap;gap:.4rem}
.choices label{flex:1 1 6rem;display:flex;align-items:center;gap:.35rem;padding:.5rem .6rem;
border:1px solid #8a96a3;border-radius:.4rem;background:#fafbfc;min-height:2.75rem}
.field{display:block;font-weight:600;margin-bottom:.3rem}
textarea{width:100%;min-height:5rem;font:inherit;padding:.5rem;border:1px solid #8a96a3;
border-radius:.4rem}
button{width:100%;font:inherit;font-weight:700;color:#fff;background:#a3161a;border:0;
border-radius:.5rem;padding:.8rem;min-height:3rem}
:focus-visible{outline:3px solid #0b4f9c;outline-offset:2px}
footer{max-width:40rem;margin:0 auto;padding:0 1rem 2rem;color:#4a4a4a;font-size:1rem}
.print-only{display:none}
@media print{
@page{margin:14mm}
html{font-size:10.5pt}
body{background:#fff;color:#000;font-size:1rem}
header{background:#fff;color:#000;border-bottom:2px solid #000;padding:0 0 .4rem}
main{max-width:none;padding:.6rem 0}
.card{box-shadow:none;border:1px solid #777;border-radius:0;padding:.5rem .7rem;
margin:0 0 .5rem;break-inside:avoid}
.tone-ok,.tone-info,.tone-warn,.tone-bad{border-left:.3rem solid #000}
a{color:#000;text-decoration:none}
.call{border:0;padding:0;min-height:0}
dt,.kicker,ol.timeline time,.note,footer{color:#000}
ol.timeline li{border-left-color:#000}
ol.timeline li::before{border-color:#000}
.no-print{display:none!important}
.print-only{display:block}
.record{display:flex;gap:1rem;align-items:center}
.record img{width:30mm;height:30mm;flex:none}
.record p{margin:0;overflow-wrap:anywhere}
footer{padding:.4rem 0 0}
}
</style>
</head>
<body>
<header>
{% if office %}
<b>{{ office.agency }}</b>
{% if office.centre %}<span>{{ office.centre }}</span>{% endif %}
{% else %}
<b>Cổng tra cứu hồ sơ thủ tục hành chính</b>
<span>Bộ phận Một cửa</span>
{% endif %}
</header>
<main>
{% block main %}{% endblock %}
{% if page_url %}
<section class="card print-only">
<div class="record">
<img src="{{ page_url }}/qr.svg" loading="lazy" alt="" width="120" height="120">
<p>Tra cứu tiến độ hồ sơ tại:<br>{{ page_url }}</p>
</div>
</section>
{% endif %}
</main>
<footer>Trang này không hiển thị số giấy tờ tùy thân, số điện thoại hay địa chỉ của ông/bà.
Vui lòng giữ Giấy tiếp nhận hồ sơ để nhận kết quả.</footer>
</body>
</html>
"""

_OFFICE = """{% macro office_card(office) %}
{% if office %}
<section class="card" id="office" aria-labelledby="office-h">
<h2 id="office-h">Nơi tiếp nhận và trả kết quả</h2>
<dl>
<dt>Cơ quan</dt><dd>{{ office.agency }}</dd>
{% if office.centre %}<dt>Bộ phận</dt><dd>{{ office.centre }}</dd>{% endif %}
{% if office.address %}<dt>Địa chỉ</dt><dd>{{ office.address }}</dd>{% endif %}
<dt>Giờ làm việc</dt><dd id="today">{{ office.today }}
{% if office.week %}<br><span class="note">{{ office.week }}</span>{% endif %}</dd>
{% if office.hotline %}
<dt>Đường dây nóng</dt>
<dd><a class="call" href="tel:{{ office.tel }}">{{ office.hotline }}</a></dd>
{% endif %}
</dl>
</section>
{% endif %}
{% endmacro %}
"""

_STATUS = """{% extends "base.html" %}
{% from "office.html" import office_card %}
{% block title %}Hồ sơ {{ code }}{% endblock %}
{% block main %}
<section class="card tone-{{ tone }}" id="status" aria-labelledby="headline">
<span class="kicker">Tình trạng hồ sơ</span>
<h1 id="headline">{{ headline }}</h1>
{% if explanation %}<p>{{ explanation }}</p>{% endif %}
{% if notice %}<p class="alert" id="notice">{{ notice }}</p>{% endif %}
{% if overdue %}
<p class="alert" id="overdue">Hồ sơ đã quá thời hạn hẹn trả. Chúng tôi xin lỗi ông/bà vì sự
chậm trễ; cơ quan giải quyết sẽ thông báo thời gian trả kết quả mới.</p>
{% endif %}
{% if items %}
<h2 id="items-h">{{ list_title }}</h2>
<ul class="items" id="items" aria-labelledby="items-h">
{% for item in items %}<li>{{ item }}</li>
{% endfor %}
</ul>
{% endif %}
{% if reason %}<p id="reason">Lý do: {{ reason }}</p>{% endif %}
{% if next_step %}<p id="next">{{ next_step }}</p>{% endif %}
{% if can_rate %}
<a class="jump no-print" href="#rating">Mời ông/bà đánh giá mức độ hài lòng (cuối trang)</a>
{% endif %}
</section>
{{ office_card(office) }}
<section class="card" aria-labelledby="facts-h">
<h2 id="facts-h">Thông tin hồ sơ</h2>
<dl id="facts">
{% for label, value in facts %}
<dt>{{ label }}</dt><dd{% if label == "Mã hồ sơ" %} id="code"{% endif %}>{{ value }}</dd>
{% endfor %}
</dl>
</section>
{% if timeline %}
<section class="card" aria-labelledby="timeline-h">
<h2 id="timeline-h">Quá trình giải quyết</h2>
<ol class="timeline">
{% for item in timeline %}
<li><time>{{ item.at }}</time>{{ item.text }}</li>
{% endfor %}
</ol>
</section>
{% endif %}
{% if rating %}
<section class="card" id="rated" tabindex="-1"{% if rated or error %} autofocus{% endif %}>
{% if error %}<p class="alert" id="error" role="alert">{{ error }}</p>{% endif %}
<p class="thanks"{% if rated %} role="alert"{% endif %}>{% if rated %}Cảm ơn ông/bà đã đánh
giá. {% endif %}Ông/bà đã đánh giá hồ sơ này:
<b>{{ overall_text.get(rating.overall, "") or (rating.score ~ "/5") }}</b>.</p>
</section>
{% elif can_rate %}
<section class="card no-print" id="rating" aria-labelledby="rating-h">
<h2 id="rating-h">Đánh giá mức độ hài lòng</h2>
{% if error %}
<p class="alert" id="error" role="alert" tabindex="-1" autofocus>{{ error }}</p>
{% endif %}
<p class="note">Ý kiến của ông/bà giúp cải thiện chất lượng phục vụ. Mỗi hồ sơ được đánh
giá một lần.</p>
<form method="post" action="">
<input type="hidden" name="form_token" value="{{ form_token }}">
{% for key, text in criteria.items() %}
<fieldset>
<legend>{{ loop.index }}. {{ text }}</legend>
<div class="choices">
{% for value, label in scores %}
<label><input type="radio" name="{{ key }}" value="{{ value }}" required
{% if form.get(key) == value|string %}checked{% endif %}> {{ label }}</label>
{% endfor %}
</div>
</fieldset>
{% endfor %}
<fieldset>
<legend>Nhìn chung, ông/bà có hài lòng với việc giải quyết hồ sơ?</legend>
<div class="choices">
{% for value, label in overall_text.items() %}
<label><input type="radio" name="overall" value="{{ value }}" required
{% if form.get("overall") == value %}checked{% endif %}> {{ label }}</label>
{% endfor %}
</div>
</fieldset>
<label class="field" for="comment">Góp ý thêm (không bắt buộc)</label>
<textarea id="comment" name="comment" maxlength="1000">{{ form.get("comment", "") }}</textarea>
<p><button type="submit">Gửi đánh giá</button></p>
</form>
</section>
{% elif error %}
<p class="alert card" id="error" role="alert" tabindex="-1" autofocus>{{ error }}</p>
{% endif %}
<p class="note">Thông tin cập nhật lúc {{ updated_at }}.</p>
{% endblock %}
"""

_PENDING = """{% extends "base.html" %}
{% from "office.html" import office_card %}
{% block title %}Hồ sơ {{ code }}{% endblock %}
{% block main %}
<section class="card tone-info" id="status" aria-labelledby="headline">
<span class="kicker">Tình trạng hồ sơ</span>
<h1 id="headline">Hồ sơ đã được tiếp nhận tại Bộ phận Một cửa</h1>
<p>Hồ sơ <b id="code">{{ code }}</b> đã được tiếp nhận tại quầy và đang được cập nhật lên hệ
thống. Vui lòng quay lại sau ít phút để xem tiến độ giải quyết.</p>
</section>
{{ office_card(office) }}
{% endblock %}
"""

_NOT_FOUND = """{% extends "base.html" %}
{% block title %}Không tìm thấy hồ sơ{% endblock %}
{% block main %}
<section class="card tone-bad" id="status">
<h1>Không tìm thấy hồ sơ</h1>
<p>Đường dẫn tra cứu không đúng hoặc không đầy đủ. Vui lòng quét lại mã QR trên Giấy tiếp
nhận hồ sơ và hẹn trả kết quả, hoặc liên hệ Bộ phận Một cửa để được hỗ trợ.</p>
</section>
{% endblock %}
"""

_BLOCKED = """{% extends "base.html" %}
{% block title %}Quá nhiều lần thử{% endblock %}
{% block main %}
<section class="card tone-warn" id="status">
<h1>Quá nhiều lần thử, vui lòng thử lại sau {{ wait }}</h1>
<p>Có nhiều lần tra cứu không đúng từ địa chỉ mạng của ông/bà. Để bảo vệ thông tin hồ sơ, các
lần tra cứu không đúng tạm thời bị từ chối. Mã QR trên Giấy tiếp nhận hồ sơ vẫn tra cứu được
bình thường: vui lòng quét lại mã QR.</p>
</section>
{% endblock %}
"""

_ERROR = """{% extends "base.html" %}
{% block title %}Không thực hiện được{% endblock %}
{% block main %}
<section class="card tone-bad" id="status">
<h1>Không thực hiện được</h1>
<p>{{ message }}</p>
</section>
{% endblock %}
"""

_HOME = """{% extends "base.html" %}
{% block main %}
<section class="card" id="status">
<h1>Tra cứu hồ sơ</h1>
<p>Quét mã QR trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả bằng camera điện thoại để xem
tiến độ giải quyết hồ sơ của ông/bà.</p>
</section>
{% endblock %}
"""

TEMPLATES = {
    "base.html": _BASE,
    "office.html": _OFFICE,
    "status.html": _STATUS,
    "pending.html": _PENDING,
    "not_found.html": _NOT_FOUND,
    "blocked.html": _BLOCKED,
    "error.html": _ERROR,
    "home.html": _HOME,
}
