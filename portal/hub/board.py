"""The waiting-hall board: light server-rendered HTML for a TV browser, no CDN.

The page shows each counter's current call, the last calls and the waiting count per area.
A few lines of inline JavaScript poll `/api/board` every 400 ms (a call shows within a second)
and, where the browser has a Vietnamese voice, speak each new call:
"Mời công dân có số thứ tự A015 đến quầy số 3".
"""

from __future__ import annotations

from html import escape

from counter.queue import QueueView

POLL_MS = 400


def announcement(number: str, counter_no: int) -> str:
    """The words spoken (and shown) for a call."""
    return f"Mời công dân có số thứ tự {number} đến quầy số {counter_no}"


_CSS = """
*{box-sizing:border-box}body{margin:0;background:#0b2545;color:#fff;
font-family:"Be Vietnam Pro","Noto Sans",Arial,sans-serif}
header{background:#8d0801;padding:1vh 2vw;font-size:3.2vh;font-weight:700;display:flex;
justify-content:space-between}
main{display:grid;grid-template-columns:2fr 1fr;gap:2vw;padding:2vh 2vw}
h2{font-size:3vh;margin:0 0 1vh;color:#ffd166}
#latest{background:#13315c;border-radius:1vh;padding:2vh;text-align:center;margin-bottom:2vh}
#latest .num{font-size:16vh;font-weight:800;color:#ffd166;line-height:1}
#latest .msg{font-size:3.4vh}
table{width:100%;border-collapse:collapse;font-size:4vh}
td,th{padding:.6vh 1vw;border-bottom:1px solid #1d4e89;text-align:left}
th{font-size:2.4vh;color:#9fb3c8;font-weight:400}
.num{font-weight:800;color:#ffd166}
#waiting td{font-size:3vh}
footer{position:fixed;bottom:0;width:100%;padding:1vh 2vw;font-size:2.2vh;color:#9fb3c8}
"""

_JS = """
(function(){
  var last = %(last)d, shown = %(version)d, voice = null;
  function esc(s){return String(s).replace(/[&<>"]/g,function(c){
    return {'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c];});}
  function pickVoice(){
    if(!('speechSynthesis' in window)) return;
    var vs = window.speechSynthesis.getVoices();
    for(var i=0;i<vs.length;i++){ if((vs[i].lang||'').toLowerCase().indexOf('vi')===0){
      voice = vs[i]; return; } }
  }
  if('speechSynthesis' in window){ pickVoice();
    window.speechSynthesis.onvoiceschanged = pickVoice; }
  function say(text){
    if(!voice) return;
    var u = new SpeechSynthesisUtterance(text); u.voice = voice; u.lang = voice.lang;
    u.rate = 0.9; window.speechSynthesis.speak(u);
  }
  function spoken(num, counter){
    return 'Mời công dân có số thứ tự ' + num.split('').join(' ') + ' đến quầy số ' + counter;
  }
  function render(b){
    var calls = b.calls || [], cur = b.current || {};
    var rows = Object.keys(cur).sort(function(a,c){return a-c;}).map(function(k){
      return '<tr><td>Quầy ' + esc(k) + '</td><td class="num" data-counter="' + esc(k) + '">' +
        esc(cur[k].number) + '</td></tr>';}).join('');
    document.getElementById('current').innerHTML = rows ||
      '<tr><td colspan="2">Chưa có quầy nào gọi số</td></tr>';
    document.getElementById('calls').innerHTML = calls.map(function(c){
      return '<tr><td class="num">' + esc(c.number) + '</td><td>Quầy ' + esc(c.counter_no) +
        '</td><td>' + esc(c.at.substr(11,5)) + '</td></tr>';}).join('');
    document.getElementById('waiting').innerHTML = Object.keys(b.waiting).map(function(k){
      return '<tr><td>' + esc(k) + ' — ' + esc(b.area_names[k] || '') + '</td><td class="num">' +
        esc(b.waiting[k]) + '</td></tr>';}).join('');
    if(calls.length){
      var c0 = calls[0];
      document.getElementById('latest-num').textContent = c0.number;
      document.getElementById('latest-msg').textContent =
        'Mời công dân có số thứ tự ' + c0.number + ' đến quầy số ' + c0.counter_no;
    }
    var fresh = calls.filter(function(c){return c.id > last;}).reverse();
    fresh.forEach(function(c){ say(spoken(c.number, c.counter_no)); });
    if(calls.length) last = Math.max(last, calls[0].id);
    document.body.setAttribute('data-version', b.version);
  }
  function tick(){
    fetch('/api/board', {cache:'no-store'}).then(function(r){return r.json();})
      .then(function(b){ if(b.version !== shown){ shown = b.version; render(b); }
        document.getElementById('status').textContent = ''; })
      .catch(function(){ document.getElementById('status').textContent =
        'Mất kết nối máy chủ hàng đợi…'; })
      .then(function(){ setTimeout(tick, %(poll)d); });
  }
  setTimeout(tick, %(poll)d);
  setInterval(function(){ var d = new Date();
    document.getElementById('clock').textContent =
      ('0'+d.getHours()).slice(-2) + ':' + ('0'+d.getMinutes()).slice(-2); }, 1000);
})();
"""


def board_page(view: QueueView, centre: str) -> str:
    """The whole page as it is now; the script keeps it current."""
    current = (
        "".join(
            f'<tr><td>Quầy {no}</td><td class="num" data-counter="{no}">{escape(t.number)}</td></tr>'
            for no, t in sorted(view.current.items())
        )
        or '<tr><td colspan="2">Chưa có quầy nào gọi số</td></tr>'
    )
    calls = "".join(
        f'<tr><td class="num">{escape(c.number)}</td><td>Quầy {c.counter_no}</td>'
        f"<td>{c.at:%H:%M}</td></tr>"
        for c in view.calls
    )
    waiting = "".join(
        f"<tr><td>{escape(k)} — {escape(view.area_names.get(k, ''))}</td>"
        f'<td class="num">{n}</td></tr>'
        for k, n in view.waiting.items()
    )
    if view.calls:
        c0 = view.calls[0]
        latest_num, latest_msg = c0.number, announcement(c0.number, c0.counter_no)
    else:
        latest_num, latest_msg = "—", "Mời công dân lấy số thứ tự và chờ gọi"
    script = _JS % {
        "last": view.calls[0].id if view.calls else 0,
        "version": view.version,
        "poll": POLL_MS,
    }
    return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Bảng gọi số — {escape(centre)}</title><style>{_CSS}</style></head>
<body data-version="{view.version}">
<header><span>{escape(centre or "Bộ phận Một cửa")}</span><span id="clock"></span></header>
<main><section>
<div id="latest"><div class="num" id="latest-num">{escape(latest_num)}</div>
<div class="msg" id="latest-msg">{escape(latest_msg)}</div></div>
<h2>Đang phục vụ</h2><table><tbody id="current">{current}</tbody></table>
</section><section>
<h2>Số vừa gọi</h2><table><tbody id="calls">{calls}</tbody></table>
<h2>Đang chờ</h2><table><tbody id="waiting">{waiting}</tbody></table>
</section></main>
<footer>Vui lòng chú ý số thứ tự và quầy được gọi. <span id="status"></span></footer>
<script>{script}</script>
</body></html>"""
