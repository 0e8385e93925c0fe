// Runs in the rendered report: the page height, the tables wider than the page, and how far down
// the verdict, the top-fixes table and the meanwhile command end (in px, -1 when absent). The
// result goes into the page title, which the shell script reads back from the dumped DOM.
window.addEventListener('load', () => {
  const tables = [...document.querySelectorAll('table')];
  const wide = tables.filter(t => t.scrollWidth > t.clientWidth + 1).length;
  const bottom = el => el ? Math.round(el.getBoundingClientRect().bottom + window.scrollY) : -1;
  const blocks = [...document.querySelectorAll('p, li')];
  const first = re => blocks.find(p => re.test(p.textContent));
  const verdict = first(/parallel-safe|No problem found|No isolation problem|No tests were found/);
  const meanwhile = first(/^Meanwhile:/);
  const top = tables.find(t => /^\s*Fix/.test(t.rows[0].textContent)) || null;
  document.title = JSON.stringify({
    height: document.documentElement.scrollHeight, tables: tables.length, wide,
    verdict_bottom: bottom(verdict), top_fixes_bottom: bottom(top), meanwhile_bottom: bottom(meanwhile),
    sections: [...document.querySelectorAll('h2')].map(h => [h.textContent.slice(0, 12),
      Math.round(h.getBoundingClientRect().top + window.scrollY)]),
  });
});
