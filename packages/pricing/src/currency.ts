// Minor-unit exponents as Stripe's API expects them, because the amounts we compute end up in
// Stripe invoices. Stripe follows ISO 4217 except where listed below.

// Stripe's zero-decimal list (https://docs.stripe.com/currencies#zero-decimal). MGA and UGX are
// two-decimal in ISO 4217 but zero-decimal in Stripe's API, so Stripe wins.
const ZERO_DECIMAL = ['BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF'];

// Stripe's three-decimal currencies plus ISO's other two (IQD, LYD).
const THREE_DECIMAL = ['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND'];
// Stripe charges its three-decimal currencies only in amounts whose last digit is 0
// (https://docs.stripe.com/currencies#three-decimal). Prices are rounded to that step, not the
// minor unit, so the invoice, the ledger and the revenue dashboards all hold what Stripe can charge.
const STRIPE_TEN_MINOR_STEP = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);

// Active ISO 4217 codes with two decimals (ISK, HUF and TWD are two-decimal in Stripe's API, for
// backwards compatibility, even where ISO or common usage says otherwise). Fund codes such as
// CLF/UYW (four decimals) are not prices anyone invoices in, so they are left out on purpose.
const TWO_DECIMAL = (
  'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD ' +
  'CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD ' +
  'GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR ISK JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL ' +
  'MAD MDL MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP ' +
  'PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS ' +
  'TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD XCG YER ZAR ZMW ZWG'
).split(' ');

const DECIMALS: ReadonlyMap<string, number> = new Map([
  ...ZERO_DECIMAL.map((code) => [code, 0] as const),
  ...TWO_DECIMAL.map((code) => [code, 2] as const),
  ...THREE_DECIMAL.map((code) => [code, 3] as const),
]);

/** Whether `code` (upper case, e.g. "EUR") is a currency this module knows the exponent of. */
export function isKnownCurrency(code: string): boolean {
  return DECIMALS.has(code);
}

/** Decimal places an amount can be charged in: the minor unit's, one less for KWD and its kind (Stripe's rule). */
export function chargeDecimals(code: string): number {
  return currencyDecimals(code) - (STRIPE_TEN_MINOR_STEP.has(code) ? 1 : 0);
}

/** Number of decimal places of the currency's minor unit: 2 for EUR, 0 for JPY, 3 for KWD. */
export function currencyDecimals(code: string): number {
  const decimals = DECIMALS.get(code);
  // An unknown currency would silently mis-scale every amount by a power of ten, so refuse it.
  if (decimals === undefined) throw new RangeError(`unknown currency ${JSON.stringify(code)}`);
  return decimals;
}
