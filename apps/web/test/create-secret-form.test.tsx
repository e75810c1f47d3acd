import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { CreateSecretPage } from '../src/secrets/create-secret-page';
import { installFakeApi } from './fake-api';
import { renderAt } from './render';

const CANARY = 'canary-component-value';

const renderCreate = (handler?: Parameters<typeof installFakeApi>[0]) => {
  const calls = installFakeApi(handler);
  const view = renderAt('/settings/secrets/_new', [
    { path: '/settings/secrets/_new', element: <CreateSecretPage /> },
    { path: '/settings/secrets/:name', element: <p>detail page</p> },
    { path: '/settings/secrets', element: <p>list page</p> },
  ]);
  return { calls, ...view };
};

describe('Create Secret form', () => {
  it('checks the name live with the rule the API uses', async () => {
    renderCreate();
    const user = userEvent.setup();
    const name = screen.getByLabelText('Name');
    await user.type(name, 'GitHub token');
    expect(name).toHaveAccessibleDescription(/must be lowercase letters and digits in words joined by single hyphens/);
    expect(name).toHaveAttribute('aria-invalid', 'true');
    await user.clear(name);
    await user.type(name, 'github-api-token');
    await waitFor(() => expect(name).not.toHaveAttribute('aria-invalid'));
    expect(screen.getByText(/Lowercase letters, digits and single hyphens/)).toBeInTheDocument();
  });

  it('takes the value in a password field that password managers are told not to save, or a textarea when multi-line', async () => {
    renderCreate();
    const user = userEvent.setup();
    const value = screen.getByLabelText('Value');
    expect(value).toHaveAttribute('type', 'password');
    expect(value).toHaveAttribute('autocomplete', 'new-password');
    await user.type(value, 'line one');
    await user.click(screen.getByLabelText('Multi-line'));
    const area = screen.getByLabelText('Value');
    expect(area.tagName).toBe('TEXTAREA');
    expect(area).toHaveAttribute('autocomplete', 'off');
    expect(area).toHaveValue('line one');
  });

  it('names each invalid field when saved empty, with a bad tag key or without custom days', async () => {
    const { calls } = renderCreate();
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Add tag' }));
    await user.type(screen.getByLabelText('Tag key'), 'aws-region');
    await user.selectOptions(screen.getByLabelText('Rotation reminder'), 'Custom');
    await user.type(screen.getByLabelText('Custom days'), '0');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    const [name, value, tagKey, days] = ['Name', 'Value', 'Tag key', 'Custom days'].map((l) => screen.getByLabelText(l));
    await waitFor(() => expect(name).toHaveAccessibleDescription(/must not be empty/));
    expect(value).toHaveAccessibleDescription(/must not be empty/);
    expect(tagKey).toHaveAccessibleDescription(/may not start with "aws"/);
    expect(days).toHaveAccessibleDescription(/whole number of days from 1 to 3650/);
    expect(calls.some((c) => c.method === 'POST' && c.path === '/api/v1/secrets')).toBe(false);
  });

  it('offers the suggested tag keys', async () => {
    renderCreate();
    await userEvent.setup().click(screen.getByRole('button', { name: 'Add tag' }));
    const list = document.getElementById(screen.getByLabelText('Tag key').getAttribute('list') ?? '');
    expect([...(list?.querySelectorAll('option') ?? [])].map((o) => o.value)).toEqual(['environment', 'service', 'sensitivity']);
  });

  it('shows the API error next to the tag row its path names, and sends the request the contract describes', async () => {
    const { calls } = renderCreate(({ method, path }) =>
      method === 'POST' && path === '/api/v1/secrets'
        ? { status: 400, body: { type: '/problems/validation', title: 'Invalid input', status: 400, errors: [{ path: 'tags.environment', message: 'denied by the tag policy' }] } }
        : undefined,
    );
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Name'), 'github-api-token');
    await user.type(screen.getByLabelText('Value'), CANARY);
    await user.selectOptions(screen.getByLabelText('Type'), 'API Key');
    await user.click(screen.getByRole('button', { name: 'Add tag' }));
    await user.type(screen.getByLabelText('Tag key'), 'environment');
    await user.type(screen.getByLabelText('Tag value'), 'production');
    await user.selectOptions(screen.getByLabelText('Rotation reminder'), '90 days');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.getByLabelText('Tag key')).toHaveAccessibleDescription(/denied by the tag policy/));
    const post = calls.find((c) => c.method === 'POST' && c.path === '/api/v1/secrets');
    expect(post?.body).toEqual({ name: 'github-api-token', value: CANARY, type: 'api_key', description: '', tags: { environment: 'production' }, reminder: { intervalDays: 90 } });
  });

  it('offers Retry when the API is unavailable (503)', async () => {
    let attempts = 0;
    renderCreate(({ method, path }) => {
      if (method !== 'POST' || path !== '/api/v1/secrets') return undefined;
      attempts += 1;
      return attempts === 1
        ? { status: 503, body: { title: 'Service Unavailable', status: 503, detail: 'The secret store is unreachable.' } }
        : { status: 201, body: { secret: { name: 'github-api-token' }, operation: { id: 'x', status: 'succeeded' } } };
    });
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Name'), 'github-api-token');
    await user.type(screen.getByLabelText('Value'), CANARY);
    await user.click(screen.getByRole('button', { name: 'Save' }));
    await user.click(await screen.findByRole('button', { name: 'Retry' }));
    await screen.findByText('detail page');
    expect(attempts).toBe(2);
  });

  it('clears the value on cancel', async () => {
    const { router } = renderCreate();
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Value'), CANARY);
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    await screen.findByText('list page');
    expect(document.body.innerHTML).not.toContain(CANARY);
    expect(router.state.location.pathname).toBe('/settings/secrets');
  });
});
