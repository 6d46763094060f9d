"""The waiting-hall board: light server-rendered HTML for a TV browser, no CDN.

The page follows the hub's event stream (`/api/board/events`, server-sent events): every call
arrives once, in order, with its sequence number; the browser's EventSource reconnects by
itself and the hub resumes after the last call it received. Calls go into a queue and are
shown and announced one after another — a chime, then the call spoken from the hub's clips
("Mời công dân có số thứ tự bê mười một đến quầy số ba") — so a burst of twelve calls is twelve
announcements, not the last one. The "now serving" tiles are laid out to fit the screen (columns
sized to the count; pages that turn by themselves when even the smallest readable size would not
fit), never a scrollbar. The clock is the hub's Vietnam time, whatever the TV's time zone.

`?lang=en` shows the words in English (the call is still spoken in Vietnamese). A TV may
override the hub's sound setting with `?sound=voice|browser|chime|off`, the time each
call stays alone on screen with `?hold=<ms>` (at least 200) and the time a page of tiles stays
with `?page_ms=<ms>`.
"""

from __future__ import annotations

import json
from datetime import datetime
from html import escape

from counter.queue import HALL_SOUNDS, QueueView
from counter.timeutil import iso

HOLD_MS = 2500  # each call stays alone in the large panel at least this long
PAGE_MS = 8000  # a page of "now serving" tiles stays this long when they need several pages
MIN_FONT_PX = 24  # a counter's number is never drawn smaller than this; more pages instead


WORDS: dict[str, dict[str, str]] = {
    "vi": {
        "title": "Bảng gọi số",
        "centre": "Bộ phận Một cửa",
        "announce": "Mời công dân có số thứ tự {number} đến quầy số {counter}",
        "idle": "Mời công dân lấy số thứ tự và chờ gọi",
        "just_called": "Số vừa gọi",
        "waiting": "Đang chờ",
        "serving": "Đang phục vụ",
        "counter": "Quầy",
        "none": "Chưa có quầy nào gọi số",
        "page": "Trang",
        "lost": "Mất kết nối máy chủ hàng đợi, đang kết nối lại…",
        "unmute": "Nhấn vào màn hình để bật âm thanh",
        "footer": "Vui lòng chú ý số thứ tự và quầy được gọi.",
    },
    "en": {
        "title": "Queue board",
        "centre": "One-stop counters",
        "announce": "Number {number}, please come to counter {counter}",
        "idle": "Please take a number and wait to be called",
        "just_called": "Just called",
        "waiting": "Waiting",
        "serving": "Now serving",
        "counter": "Counter",
        "none": "No counter has called yet",
        "page": "Page",
        "lost": "Lost the queue hub, reconnecting…",
        "unmute": "Tap the screen to turn the sound on",
        "footer": "Please watch for your number and counter.",
    },
}


def announcement(number: str, counter_no: int, lang: str = "vi") -> str:
    """The words shown for a call (the spoken call is always Vietnamese)."""
    return WORDS.get(lang, WORDS["vi"])["announce"].format(number=number, counter=counter_no)


_CSS = """
*{box-sizing:border-box}
html,body{margin:0;height:100%;overflow:hidden}
body{display:flex;flex-direction:column;background:#0b2545;color:#fff;
font-family:"Be Vietnam Pro","Noto Sans","DejaVu Sans",Arial,sans-serif}
header{flex:0 0 auto;height:8vh;background:#8d0801;padding:0 2vw;font-size:3.4vh;
font-weight:700;display:flex;align-items:center;justify-content:space-between}
#clock{font-variant-numeric:tabular-nums}
main{flex:1 1 auto;min-height:0;display:grid;grid-template-columns:34fr 66fr;gap:1.5vw;
padding:1.5vh 1.5vw}
section{display:flex;flex-direction:column;min-height:0;min-width:0}
h2{flex:0 0 auto;font-size:2.8vh;margin:0 0 1vh;color:#ffd166;display:flex;
justify-content:space-between}
#latest{flex:0 0 auto;background:#13315c;border-radius:1vh;padding:1.5vh 1vw;text-align:center;
margin-bottom:1.5vh}
#latest-num{font-size:13vh;font-weight:800;color:#ffd166;line-height:1}
#latest-msg{font-size:3vh;margin-top:.8vh}
#latest.fresh{outline:.5vh solid #ffd166}
#recent-box,#waiting-box{min-height:0;overflow:hidden}
#recent-box{flex:1 1 auto}
#waiting-box{flex:0 1 auto;margin-top:1vh;max-height:45%}
table{width:100%;border-collapse:collapse;font-size:3vh}
td{padding:.4vh .6vw;border-bottom:1px solid #1d4e89;white-space:nowrap}
.num{font-weight:800;color:#ffd166}
#tiles{flex:1 1 auto;min-height:0;display:grid;gap:8px;align-content:start}
.tile{background:#13315c;border-radius:6px;display:flex;align-items:center;
justify-content:space-between;gap:.3em;padding:0 .35em;overflow:hidden;white-space:nowrap;
line-height:1.15}
.tile .ctr{color:#9fb3c8;font-size:.5em}
.tile .num{font-size:1em}
#tiles .empty{grid-column:1/-1;font-size:3vh;color:#9fb3c8}
footer{flex:0 0 auto;height:5vh;padding:0 2vw;font-size:2.2vh;color:#9fb3c8;display:flex;
align-items:center;justify-content:space-between}
#status{color:#ff6b6b}
#unmute{display:none;position:fixed;inset:auto 2vw 7vh auto;background:#ffd166;color:#0b2545;
padding:1vh 1vw;border-radius:1vh;font-size:2.4vh;cursor:pointer}
"""

_JS = """
(function(){
  var cfg = %(cfg)s, W = cfg.words;
  // What the hall received, showed and played, in order (drills and bench_queue read it).
  var hall = window.hall = {received: [], shown: [], played: [], ended: [], spoken: [],
                            pages: 0, times: {}};
  var offset = Date.parse(cfg.now) - Date.now();  // the hub's clock, not the TV's
  var queue = [], busy = false, lastSeq = cfg.after, tiles = [], page = 0, pageTimer = null;
  var params = new URLSearchParams(location.search);
  var sound = params.get('sound') || cfg.sound;
  var hold = Math.max(200, parseInt(params.get('hold') || cfg.hold, 10) || cfg.hold);
  var pageMs = Math.max(300, parseInt(params.get('page_ms') || cfg.pageMs, 10) || cfg.pageMs);
  var $ = function(id){ return document.getElementById(id); };
  function esc(s){return String(s).replace(/[&<>"]/g,function(c){
    return {'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c];});}
  function two(n){ return ('0' + n).slice(-2); }
  function vnTime(ms){  // Vietnam is UTC+7 all year (no summer time)
    var d = new Date(ms + 7 * 3600 * 1000);
    return two(d.getUTCHours()) + ':' + two(d.getUTCMinutes());
  }
  function tickClock(){ $('clock').textContent = vnTime(Date.now() + offset); }
  function setNow(iso){ offset = Date.parse(iso) - Date.now(); tickClock(); }

  // -- "now serving": columns sized to the count, pages when they cannot all be readable --
  function tileRatio(){
    // The widest tile's size per px of font, measured in this browser's own font.
    var box = $('tiles'), longest = tiles.reduce(function(m, t){
      return String(t.number).length > m.length ? String(t.number) : m; }, 'A000');
    var probe = document.createElement('div');
    probe.className = 'tile'; probe.style.cssText = 'position:absolute;visibility:hidden;' +
      'font-size:100px;width:auto;height:auto';
    probe.innerHTML = '<span class="ctr">' + esc(W.counter) + ' 99</span><span class="num">' +
      esc(longest) + '</span>';
    box.appendChild(probe);
    var r = {w: probe.scrollWidth / 100 + 0.05, h: probe.scrollHeight / 100 + 0.05};
    box.removeChild(probe);
    return r;
  }
  function layout(){
    var box = $('tiles'), n = tiles.length;
    if(!n){ box.innerHTML = '<div class="empty">' + esc(W.none) + '</div>';
      $('pages').textContent = ''; return; }
    var bw = box.clientWidth, bh = box.clientHeight, gap = 8, best = null, k = tileRatio();
    for(var per = n; per >= 1 && !(best && best.font >= cfg.minFont); per--){
      best = null;
      for(var cols = 1; cols <= per; cols++){
        var rows = Math.ceil(per / cols);
        var tw = (bw - gap * (cols - 1)) / cols, th = (bh - gap * (rows - 1)) / rows;
        var font = Math.floor(Math.min(th / k.h, tw / k.w));
        if(!best || font > best.font) best = {per: per, cols: cols, rows: rows, th: th,
                                               font: font};
      }
    }
    var pages = Math.ceil(n / best.per);
    hall.pages = pages; if(page >= pages) page = 0;
    box.style.gridTemplateColumns = 'repeat(' + best.cols + ', minmax(0, 1fr))';
    box.style.gridAutoRows = Math.floor(best.th) + 'px';
    box.style.fontSize = best.font + 'px';
    box.innerHTML = tiles.slice(page * best.per, (page + 1) * best.per).map(function(t){
      return '<div class="tile" data-counter="' + esc(t.counter) + '"><span class="ctr">' +
        esc(W.counter) + ' ' +
        esc(t.counter) + '</span><span class="num">' + esc(t.number) + '</span></div>';
    }).join('');
    $('pages').textContent = pages > 1 ? W.page + ' ' + (page + 1) + '/' + pages : '';
    clearTimeout(pageTimer);
    if(pages > 1) pageTimer = setTimeout(function(){ page = (page + 1) %% pages; layout(); },
                                         pageMs);
  }
  function fitRows(boxId){
    // Only whole rows: a row the box cannot show entirely is hidden, never cut in half.
    var box = $(boxId), bottom = box.getBoundingClientRect().bottom;
    var rows = box.querySelectorAll('tr');
    for(var i = 0; i < rows.length; i++) rows[i].style.display = '';
    for(i = 0; i < rows.length; i++)
      if(rows[i].getBoundingClientRect().bottom > bottom + 0.5) rows[i].style.display = 'none';
  }
  function fitAll(){ layout(); fitRows('recent-box'); fitRows('waiting-box'); }
  function renderState(b){
    tiles = Object.keys(b.current || {}).map(function(k){
      return {counter: +k, number: b.current[k].number};
    }).sort(function(a, c){ return a.counter - c.counter; });
    layout();
    $('waiting').innerHTML = Object.keys(b.waiting || {}).map(function(k){
      return '<tr><td>' + esc(k) + ' — ' + esc((b.area_names || {})[k] || '') +
        '</td><td class="num">' + esc(b.waiting[k]) + '</td></tr>';}).join('');
    fitRows('recent-box'); fitRows('waiting-box');
    if(b.now) setNow(b.now);
    document.body.setAttribute('data-version', b.version);
  }

  // -- calls: one at a time, shown, then announced --
  function show(c){
    $('latest-num').textContent = c.number;
    $('latest-msg').textContent = W.announce.replace('{number}', c.number)
      .replace('{counter}', c.counter_no);
    $('latest').className = 'fresh';
    var row = document.createElement('tr');
    row.setAttribute('data-seq', c.seq);
    row.innerHTML = '<td class="num">' + esc(c.number) + '</td><td>' + esc(W.counter) + ' ' +
      esc(c.counter_no) + '</td><td>' + esc(c.at.substr(11, 5)) + '</td>';
    var list = $('calls'); list.insertBefore(row, list.firstChild);
    while(list.children.length > cfg.keep) list.removeChild(list.lastChild);
    fitRows('recent-box');
    hall.shown.push(c.seq);
    requestAnimationFrame(function(){ hall.times[c.seq].shown = Date.now(); });
  }
  function unmuteNeeded(){ $('unmute').style.display = 'block'; }
  document.addEventListener('click', function(){ $('unmute').style.display = 'none'; });
  function play(url){
    return new Promise(function(done){
      var a = new Audio(url), finished = false;
      function end(){ if(!finished){ finished = true; clearTimeout(guard); done(); } }
      var guard = setTimeout(end, 15000);  // a stuck clip must not stop the hall
      a.addEventListener('ended', function(){ hall.ended.push(url); end(); });
      a.addEventListener('error', function(){
        hall.played.push('error:' + url); end(); });
      hall.played.push(url);
      var p = a.play();
      if(p && p.catch) p.catch(function(e){
        if(e && e.name === 'NotAllowedError') unmuteNeeded(); end(); });
    });
  }
  function playAll(urls){
    return urls.reduce(function(p, u){ return p.then(function(){ return play(u); }); },
                       Promise.resolve());
  }
  function browserVoice(){
    if(!('speechSynthesis' in window)) return null;
    var vs = window.speechSynthesis.getVoices();
    for(var i = 0; i < vs.length; i++)
      if((vs[i].lang || '').toLowerCase().indexOf('vi') === 0) return vs[i];
    return null;
  }
  function speak(c){
    var v = browserVoice();
    if(!v) return playAll(c.clips.slice(1));  // no Vietnamese voice: the hub's clips
    return new Promise(function(done){
      var u = new SpeechSynthesisUtterance(c.text); u.voice = v; u.lang = v.lang; u.rate = 0.9;
      u.onend = done; u.onerror = function(){ playAll(c.clips.slice(1)).then(done); };
      hall.spoken.push(c.text); window.speechSynthesis.speak(u);
    });
  }
  function announce(c){
    if(c.stale || sound === 'off') return Promise.resolve();
    if(sound === 'chime') return play(c.clips[0]);
    if(sound === 'browser') return play(c.clips[0]).then(function(){ return speak(c); });
    return playAll(c.clips);
  }
  function pump(){
    if(busy || !queue.length) return;
    busy = true;
    var c = queue.shift(), started = Date.now();
    show(c);
    announce(c).then(function(){
      setTimeout(function(){ $('latest').className = ''; busy = false; pump(); },
                 Math.max(0, hold - (Date.now() - started)));
    });
  }

  // -- the stream --
  function connect(){
    var es = new EventSource('/api/board/events?after=' + lastSeq);
    es.addEventListener('call', function(e){
      var c = JSON.parse(e.data);
      if(c.seq <= lastSeq) return;  // never twice, whatever a reconnect replays
      lastSeq = c.seq; hall.received.push(c.seq); queue.push(c);
      hall.times[c.seq] = {number: c.number, received: Date.now()};
      pump();
    });
    es.addEventListener('state', function(e){ renderState(JSON.parse(e.data)); });
    es.addEventListener('time', function(e){ setNow(JSON.parse(e.data).now); });
    es.onopen = function(){ $('status').textContent = ''; };
    es.onerror = function(){
      $('status').textContent = W.lost;
      if(es.readyState === 2){ setTimeout(connect, 2000); }  // closed for good: start over
    };
    hall.source = es;
  }
  renderState(cfg.state);
  tickClock(); setInterval(tickClock, 1000);
  window.addEventListener('resize', fitAll);
  connect();
})();
"""


def board_page(
    view: QueueView,
    centre: str,
    *,
    now: datetime,
    sound: str = "voice",
    hold_ms: int = HOLD_MS,
    keep: int = 8,
    lang: str = "vi",
) -> str:
    """The whole page; the script fills it from the stream (the recent calls are shown
    without being announced again, and the stream resumes after the newest)."""
    lang = lang if lang in WORDS else "vi"
    w = WORDS[lang]
    state = {**view.to_public_json(), "now": iso(now)}
    cfg = {
        "after": view.calls[0].id if view.calls else 0,
        "now": iso(now),
        "sound": sound if sound in HALL_SOUNDS else "voice",
        "hold": hold_ms,
        "pageMs": PAGE_MS,
        "minFont": MIN_FONT_PX,
        "keep": max(1, keep),
        "state": state,
        "words": w,
    }
    calls = "".join(
        f'<tr data-seq="{c.id}"><td class="num">{escape(c.number)}</td>'
        f"<td>{w['counter']} {c.counter_no}</td><td>{c.at:%H:%M}</td></tr>"
        for c in view.calls
    )
    if view.calls:
        c0 = view.calls[0]
        latest_num, latest_msg = c0.number, announcement(c0.number, c0.counter_no, lang)
    else:
        latest_num, latest_msg = "—", w["idle"]
    # </script> inside a JSON string cannot close the script: "<" is escaped.
    script = _JS % {"cfg": json.dumps(cfg, ensure_ascii=False).replace("<", "\\u003c")}
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{w["title"]} — {escape(centre)}</title><style>{_CSS}</style></head>
<body data-version="{view.version}">
<header><span>{escape(centre or w["centre"])}</span><span id="clock"></span></header>
<main><section>
<div id="latest"><div id="latest-num">{escape(latest_num)}</div>
<div id="latest-msg">{escape(latest_msg)}</div></div>
<h2>{w["just_called"]}</h2><div id="recent-box"><table><tbody id="calls">{calls}</tbody></table></div>
<div id="waiting-box"><h2>{w["waiting"]}</h2><table><tbody id="waiting"></tbody></table></div>
</section><section>
<h2><span>{w["serving"]}</span><span id="pages"></span></h2><div id="tiles"></div>
</section></main>
<footer><span>{w["footer"]}</span><span id="status"></span></footer>
<div id="unmute">{w["unmute"]}</div>
<script>{script}</script>
</body></html>"""
