// Exchanges as a gateway could record them, for the batch and record tests: text shared with the
// previous exchange, null, odd (quotes, controls, surrogates, very long) or unique.
import type { Exchange } from '../src/exchange.ts';

export const ODD_TEXT = ['', 'a', '🎉 emoji', '\ud800 lone high', 'lone low \udc00', '"quotes" \\ \n\t\u0000', 'ünïcödé', 'x'.repeat(40_000), 'y'.repeat(70_000)];

export function randomExchange(next: () => number, i: number): Exchange {
  const text = (shared: string): string | null => {
    const r = next();
    return r < 0.2 ? null : r < 0.6 ? shared : r < 0.7 ? ODD_TEXT[Math.floor(next() * ODD_TEXT.length)]! : `${shared}-${i}-${Math.floor(next() * 1e6)}`;
  };
  // Byte counts: whole, as the plugin records them (headerNumber).
  const number = (): number | null => (next() < 0.2 ? null : Math.floor(next() * 10 ** Math.floor(next() * 9)));
  return [
    text('rq'), Date.now() - next() * 1000, ['GET', 'POST', 'DELETE'][i % 3]!, `/orders/${i}?q=${next()}`, text('/orders/:id'), text('shop.example'),
    [200, 404, 503][i % 3]!, next() * 50, number(), number(), text('203.0.113.7'), text('curl/8.5.0'), text('shop'), text('gw-1'),
    text('c-42'), text('app-1'), text('sub'), text('org-1'), text('api_key'), text('read write'),
  ];
}
