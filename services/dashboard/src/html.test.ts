import { escapeHtml, html, SafeHtml } from './html.js';

describe('html', () => {
  it('escapes every interpolated string, in content and in attributes', () => {
    const label = `<img src=x onerror="alert('x')">&`;
    expect(html`<td title="${label}">${label}</td>`.text).toBe(
      '<td title="&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;">&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;</td>',
    );
  });

  it('inserts SafeHtml as it is, renders arrays in order and nothing for absent values', () => {
    const items = ['a<b', 'c'].map((t) => html`<li>${t}</li>`);
    expect(html`<ul>${items}</ul>${null}${undefined}${false}${3}`.text).toBe('<ul><li>a&lt;b</li><li>c</li></ul>3');
    expect(html`${new SafeHtml('<b>x</b>')}`.text).toBe('<b>x</b>');
  });

  it('leaves no character that could open a tag or close an attribute', () => {
    expect(escapeHtml(`"'<>&`)).not.toMatch(/["'<>]|&(?!amp;|lt;|gt;|quot;|#39;)/);
  });
});
