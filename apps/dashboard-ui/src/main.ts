import { ApiFailure, session } from './api';
import { errorBox, h, replaceChildren } from './dom';
import { deliveriesPage, deliveryPage, endpointsPage, eventTypesPage, type PageContext } from './views';

const app = document.getElementById('app');
if (!app) throw new Error('index.html has no #app');

/** Timers of the page on screen; a navigation stops them before the next page starts its own. */
let timers: number[] = [];
/** Increments with each render, so a slow answer for a page no longer shown is dropped. */
let shown = 0;

function pageContext(root: HTMLElement, show: number): PageContext {
  return {
    every(ms, task) {
      const timer = window.setInterval(() => {
        // A refresh that fails (network, restart) says so and keeps trying; a 401 signs out.
        task().catch((error: unknown) => {
          if (show !== shown) return;
          if (error instanceof ApiFailure && error.status === 401) return void render();
          root.querySelector('.refresh-error')?.remove();
          root.prepend(h('p', { class: 'error refresh-error', role: 'alert' }, `Refresh failed: ${String(error)}`));
        });
      }, ms);
      timers.push(timer);
    },
  };
}

function signInPage(): void {
  const key = h('input', {
    type: 'password',
    name: 'apiKey',
    autocomplete: 'off',
    required: true,
    placeholder: 'sk_test_…',
  });
  const form = h(
    'form',
    { class: 'sign-in', 'aria-label': 'Sign in' },
    h('h1', {}, 'hookstream'),
    h(
      'p',
      { class: 'muted' },
      'Sign in with an API key. It is kept in this tab only (session storage) and sent with each API call.',
    ),
    h('label', {}, 'API key', key),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    session.signIn(key.value.trim());
    if (!location.hash || location.hash === '#/') location.hash = '#/deliveries';
    else void render();
  });
  replaceChildren(app!, form);
}

function layout(): HTMLElement {
  const signOut = h('button', { type: 'button', class: 'link' }, 'Sign out');
  signOut.addEventListener('click', () => {
    session.signOut();
    void render();
  });
  const link = (href: string, label: string) =>
    h('a', { href, class: location.hash.startsWith(href) ? 'active' : undefined }, label);
  const main = h('main');
  replaceChildren(
    app!,
    h(
      'header',
      {},
      h('strong', {}, 'hookstream'),
      h(
        'nav',
        {},
        link('#/deliveries', 'Deliveries'),
        link('#/endpoints', 'Endpoints'),
        link('#/event-types', 'Event types'),
      ),
      h('span', { class: 'environment' }, session.key()?.startsWith('sk_live_') ? 'live' : 'sandbox'),
      signOut,
    ),
    main,
  );
  return main;
}

async function render(): Promise<void> {
  for (const timer of timers) window.clearInterval(timer);
  timers = [];
  const show = ++shown;
  if (!session.key()) return signInPage();
  const main = layout();
  const [path = '', search = ''] = location.hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(search);
  const page = pageContext(main, show);
  main.append(h('p', { class: 'muted' }, 'Loading…'));
  try {
    const delivery = /^\/deliveries\/([^/]+)$/.exec(path);
    if (delivery?.[1]) await deliveryPage(main, page, decodeURIComponent(delivery[1]));
    else if (path === '/endpoints') await endpointsPage(main, page);
    else if (path === '/event-types') await eventTypesPage(main);
    else if (path === '/deliveries') await deliveriesPage(main, page, params);
    else location.hash = '#/deliveries';
  } catch (error) {
    if (show !== shown) return;
    if (error instanceof ApiFailure && error.status === 401) return render();
    replaceChildren(main, errorBox(error));
  }
}

window.addEventListener('hashchange', () => void render());
void render();
