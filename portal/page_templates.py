"""Jinja2 templates of the citizen pages (strings, so nothing has to be installed as data).

Mobile first: one column, 16 px+ text, large tap targets; system fonts only; the style is
inline under a CSP nonce; no script at all.
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
<style nonce="{{ nonce }}">
*{box-sizing:border-box}
body{margin:0;font:17px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;
color:#1b1b1b;background:#f3f5f7}
header{background:#a3161a;color:#fff;padding:.8rem 1rem}
header b{display:block;font-size:1.05rem}
header small{opacity:.9}
main{max-width:40rem;margin:0 auto;padding:1rem}
.card{background:#fff;border-radius:.6rem;padding:1rem;margin:0 0 1rem;
box-shadow:0 1px 2px rgba(0,0,0,.08)}
h1{font-size:1.3rem;margin:.1rem 0 .4rem;line-height:1.3}
h2{font-size:1.08rem;margin:0 0 .6rem}
.tone-ok{border-left:.4rem solid #1c7c3a}
.tone-info{border-left:.4rem solid #1f5fa8}
.tone-warn{border-left:.4rem solid #c27c00}
.tone-bad{border-left:.4rem solid #a3161a}
dl{margin:0;display:grid;grid-template-columns:1fr;gap:.15rem .8rem}
dt{color:#555;font-size:.9rem;margin-top:.5rem}
dd{margin:0;font-weight:600;word-break:break-word}
@media (min-width:34rem){dl{grid-template-columns:11rem 1fr}dt{margin-top:0}}
ol.timeline{list-style:none;margin:0;padding:0}
ol.timeline li{padding:.35rem 0 .35rem 1rem;border-left:2px solid #c9d1da;position:relative}
ol.timeline li::before{content:"";position:absolute;left:-.38rem;top:.75rem;width:.6rem;
height:.6rem;border-radius:50%;background:#1f5fa8}
ol.timeline time{display:block;color:#555;font-size:.88rem}
.note{color:#444;font-size:.93rem}
.alert{background:#fff4e0;border:1px solid #e0b15c;border-radius:.4rem;padding:.6rem .8rem}
.thanks{background:#e8f6ec;border:1px solid #8cc79d;border-radius:.4rem;padding:.6rem .8rem}
fieldset{border:0;margin:0 0 .9rem;padding:0}
legend{font-weight:600;margin-bottom:.3rem}
.choices{display:flex;flex-wrap:wrap;gap:.4rem}
.choices label{flex:1 1 6rem;display:flex;align-items:center;gap:.35rem;padding:.5rem .6rem;
border:1px solid #c9d1da;border-radius:.4rem;background:#fafbfc;min-height:2.75rem}
textarea{width:100%;min-height:5rem;font:inherit;padding:.5rem;border:1px solid #c9d1da;
border-radius:.4rem}
button{width:100%;font:inherit;font-weight:700;color:#fff;background:#a3161a;border:0;
border-radius:.5rem;padding:.8rem;min-height:3rem}
footer{max-width:40rem;margin:0 auto;padding:0 1rem 2rem;color:#666;font-size:.85rem}
</style>
</head>
<body>
<header><b>Cổng tra cứu hồ sơ thủ tục hành chính</b>
<small>Bộ phận Một cửa</small></header>
<main>
{% block main %}{% endblock %}
</main>
<footer>Trang này không hiển thị số giấy tờ tùy thân, số điện thoại hay địa chỉ của ông/bà.
Vui lòng giữ Giấy tiếp nhận hồ sơ để nhận kết quả.</footer>
</body>
</html>
"""

_STATUS = """{% extends "base.html" %}
{% block title %}Hồ sơ {{ code }}{% endblock %}
{% block main %}
<section class="card tone-{{ tone }}" id="status">
<small>Tình trạng hồ sơ</small>
<h1>{{ headline }}</h1>
<p>{{ explanation }}</p>
{% for notice in notices %}
<p class="notice"><b>{{ notice }}</b></p>
{% endfor %}
{% if overdue %}
<p class="alert">Hồ sơ đã quá thời hạn hẹn trả. Chúng tôi xin lỗi ông/bà vì sự chậm trễ;
cơ quan giải quyết sẽ thông báo thời gian trả kết quả mới.</p>
{% endif %}
</section>
<section class="card">
<h2>Thông tin hồ sơ</h2>
<dl>
<dt>Mã hồ sơ</dt><dd id="code">{{ code }}</dd>
<dt>Thủ tục</dt><dd>{{ procedure }}</dd>
<dt>Người nộp</dt><dd>{{ applicant }}</dd>
<dt>Ngày tiếp nhận</dt><dd>{{ received_at }}</dd>
{% if due_at %}<dt>Hẹn trả kết quả</dt><dd>{{ due_at }}</dd>{% endif %}
<dt>Nơi nhận kết quả</dt><dd>{{ place }}</dd>
{% if returned_at %}<dt>Đã trả kết quả lúc</dt><dd>{{ returned_at }}</dd>{% endif %}
<dt>Phí, lệ phí</dt><dd>{{ fee_text }}</dd>
</dl>
</section>
{% if timeline %}
<section class="card">
<h2>Quá trình giải quyết</h2>
<ol class="timeline">
{% for item in timeline %}
<li><time>{{ item.at }}</time>{{ item.text }}</li>
{% endfor %}
</ol>
</section>
{% endif %}
{% if error %}<p class="alert card" id="error">{{ error }}</p>{% endif %}
{% if rating %}
<section class="card" id="rated">
<p class="thanks">{% if rated %}Cảm ơn ông/bà đã đánh giá. {% endif %}Ông/bà đã đánh giá
hồ sơ này: <b>{{ overall_text.get(rating.overall, "") or (rating.score ~ "/5") }}</b>.</p>
</section>
{% elif can_rate %}
<section class="card" id="rating">
<h2>Đánh giá mức độ hài lòng</h2>
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
<fieldset>
<legend>Góp ý thêm (không bắt buộc)</legend>
<textarea name="comment" maxlength="1000">{{ form.get("comment", "") }}</textarea>
</fieldset>
<button type="submit">Gửi đánh giá</button>
</form>
</section>
{% endif %}
<p class="note">Thông tin cập nhật lúc {{ updated_at }}.</p>
{% endblock %}
"""

_PENDING = """{% extends "base.html" %}
{% block title %}Hồ sơ {{ code }}{% endblock %}
{% block main %}
<section class="card tone-info" id="status">
<small>Tình trạng hồ sơ</small>
<h1>Hồ sơ đã được tiếp nhận tại Bộ phận Một cửa</h1>
<p>Hồ sơ <b id="code">{{ code }}</b> đã được tiếp nhận tại quầy và đang được cập nhật lên hệ
thống. Vui lòng quay lại sau ít phút để xem tiến độ giải quyết.</p>
</section>
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
<h1>Quá nhiều lần thử, vui lòng thử lại sau {{ minutes }} phút</h1>
<p>Có nhiều lần tra cứu không đúng từ thiết bị của ông/bà. Để bảo vệ thông tin hồ sơ, việc
tra cứu tạm thời bị khóa. Vui lòng quét lại mã QR trên Giấy tiếp nhận hồ sơ sau
{{ minutes }} phút.</p>
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
    "status.html": _STATUS,
    "pending.html": _PENDING,
    "not_found.html": _NOT_FOUND,
    "blocked.html": _BLOCKED,
    "error.html": _ERROR,
    "home.html": _HOME,
}
