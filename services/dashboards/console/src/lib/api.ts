// The console's calls to this origin's API: the token from the URL fragment (`#token=…`, never sent
// to the server) kept for the tab in sessionStorage and taken out of the address bar, sent only as
// the Authorization header. Named queries get only the parameters they declare (GET /v1/queries),
// so one view state can drive every panel.

export type Row = Record<string, string | number | null>;
// One token per page: the operator's and a consumer's may be open in the same tab one after the other.
const TOKEN_KEY = `tollgate-token:${location.pathname}`;

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** The token of this tab: from the fragment (then removed from it), else the one stored earlier. */
export function takeToken(): string {
  const p = new URLSearchParams(location.hash.slice(1));
  const fromFragment = p.get('token');
  if (fromFragment) {
    sessionStorage.setItem(TOKEN_KEY, fromFragment);
    p.delete('token');
    history.replaceState(null, '', `${location.pathname}${location.search}${p.size > 0 ? `#${p.toString()}` : ''}`);
    return fromFragment;
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

export function storeToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export class Api {
  private declared: Promise<Map<string, Set<string>>> | undefined;

  constructor(
    private readonly token: string,
    private readonly onAuthFailure: (message: string) => void,
  ) {}

  get hasToken(): boolean {
    return this.token !== '';
  }

  async get<T>(path: string, params: Record<string, string | number | undefined> = {}): Promise<T> {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') query.set(k, String(v));
    const response = await fetch(`${path}${query.size > 0 ? `?${query.toString()}` : ''}`, { headers: { authorization: `Bearer ${this.token}` } });
    const body = (await response.json().catch(() => ({}))) as T & { message?: string };
    if (response.status === 401) this.onAuthFailure(body.message ?? 'token refused');
    if (!response.ok) throw new ApiError(body.message ?? `HTTP ${response.status}`, response.status);
    return body;
  }

  /** A named query with the parameters it declares (the others, e.g. a filter it cannot apply, are left out). */
  async query(name: string, params: Record<string, string | number | undefined>): Promise<Row[]> {
    this.declared ??= this.get<{ queries: { name: string; params: { name: string }[] }[] }>('/v1/queries').then(
      (list) => new Map(list.queries.map((q) => [q.name, new Set(q.params.map((p) => p.name))])),
    );
    const accepted = (await this.declared).get(name) ?? new Set<string>();
    const own = Object.fromEntries(Object.entries(params).filter(([k]) => accepted.has(k)));
    return (await this.get<{ rows: Row[] }>(`/v1/queries/${name}`, own)).rows;
  }
}
