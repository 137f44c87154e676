// The token sign-in both pages share: the token comes from the URL fragment or the tab's storage;
// without one, or when the API refuses it, the page shows its login form, and a submitted token
// is kept for the tab and the page loads again.
import { Api, storeToken, takeToken } from './api.ts';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

function showLogin(why: string): void {
  $('login').hidden = false;
  $('login-why').textContent = why;
  $('main').hidden = true;
}

/**
 * Wires the login form; returns the API client of the token known now (none: the form shows,
 * saying `missing`). `signedIn` gets a new client after each sign-in through the form.
 */
export function signIn(missing: string, signedIn: (api: Api) => void): Api {
  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = $<HTMLInputElement>('token-input').value.trim();
    storeToken(token);
    $('login').hidden = true;
    $('main').hidden = false;
    signedIn(new Api(token, showLogin));
  });
  const api = new Api(takeToken(), showLogin);
  if (!api.hasToken) showLogin(missing);
  return api;
}
