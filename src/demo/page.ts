// The demo page: a tiny echo client (the frame inspector extends it).
export const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wsframe demo</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem;max-width:50rem}#log{white-space:pre-wrap;border:1px solid #ccc;padding:.5rem;min-height:10rem;font-family:monospace}</style>
</head><body>
<h1>wsframe echo</h1>
<p>Connected to <code id="url"></code>: <span id="state">connecting…</span></p>
<form id="f"><input id="msg" size="50" value="Hello, wsframe!"> <button>Send</button></form>
<div id="log"></div>
<script>
const url = location.origin.replace(/^http/, 'ws') + '/echo';
document.getElementById('url').textContent = url;
const log = (s) => { document.getElementById('log').textContent += s + '\\n'; };
const ws = new WebSocket(url);
ws.onopen = () => { document.getElementById('state').textContent = 'open'; };
ws.onclose = (e) => { document.getElementById('state').textContent = 'closed (' + e.code + ')'; };
ws.onmessage = (e) => log('← ' + e.data);
document.getElementById('f').onsubmit = (e) => { e.preventDefault(); const v = document.getElementById('msg').value; ws.send(v); log('→ ' + v); };
</script>
</body></html>
`;
