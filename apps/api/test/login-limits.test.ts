import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, startTestApi, type TestApi } from './harness.js';

/**
 * Login with the default limits (NEMBL_RATE_LIMIT_LOGIN_PER_MIN=10, per IP and email; the test
 * API trusts loopback proxies, so `X-Forwarded-For` stands for other clients' addresses).
 */
let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
}, 60_000);
afterAll(async () => t?.close());

const loginFrom = async (ip: string, email: string, password: string) => {
  const t0 = performance.now();
  const res = await new ApiClient(t.url).post('/api/v1/auth/login', { email, password }, { 'x-forwarded-for': ip });
  return { res, ms: performance.now() - t0 };
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('login', () => {
  it('takes comparable time for an unknown email and a wrong password: the password hash runs for both', async () => {
    const s = await new ApiClient(t.url).signup();
    // Warm up both paths (the throwaway hash for unknown emails is made on first use).
    await loginFrom('10.0.0.1', `warm-${Date.now()}@example.com`, 'not the password');
    await loginFrom('10.0.0.1', s.email, 'not the password');
    const unknown: number[] = [];
    const wrong: number[] = [];
    const refusedEarly: number[] = [];
    // Interleaved, so load on the machine hits both series alike; each series stays under the limit.
    for (let i = 0; i < 7; i++) {
      const u = await loginFrom(`10.0.1.${i}`, `nobody-${i}-${Date.now()}@example.com`, 'not the password');
      const w = await loginFrom(`10.0.2.${i}`, s.email, 'not the password');
      const e = await loginFrom(`10.0.3.${i}`, '', 'not the password');
      expect([u.res.status, w.res.status, e.res.status]).toEqual([401, 401, 400]);
      unknown.push(u.ms);
      wrong.push(w.ms);
      refusedEarly.push(e.ms);
    }
    const ratio = median(unknown) / median(wrong);
    expect(
      ratio,
      `unknown ${median(unknown).toFixed(1)} ms vs wrong password ${median(wrong).toFixed(1)} ms`,
    ).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
    // Both cost a hash, which a request refused before any hashing does not.
    expect(
      median(unknown),
      `unknown ${median(unknown).toFixed(1)} ms vs no hash ${median(refusedEarly).toFixed(1)} ms`,
    ).toBeGreaterThan(2 * median(refusedEarly));
  });

  it('answers the 11th attempt within a minute with 429 and Retry-After, per IP and email', async () => {
    const s = await new ApiClient(t.url).signup();
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await loginFrom('10.1.0.1', s.email, `guess number ${i}`)).res.status);
    expect(statuses).toEqual(Array(10).fill(401));
    // The 11th is refused even with the right password: guessing stops, it does not just fail.
    const limited = (await loginFrom('10.1.0.1', s.email, s.password)).res;
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // The same email from another address, and another email from this address, are unaffected.
    expect((await loginFrom('10.1.0.2', s.email, s.password)).res.status).toBe(200);
    const other = await new ApiClient(t.url).signup();
    expect((await loginFrom('10.1.0.1', other.email, other.password)).res.status).toBe(200);
  });
});
