import { zodResolver } from '@hookform/resolvers/zod';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useForm } from 'react-hook-form';
import { useNavigate, useSearchParams } from 'react-router';
import { secretNameSchema } from '@nembl/core/schemas';
import { api, withStatus, type Operation } from '../api/client';
import { type Problem } from '../api/problem';
import { usePermissions } from '../app/permissions';
import { useMe } from '../app/session';
import { SelectField, TextArea, TextField } from '../ui/field';
import { SECRET_TYPE_LABELS } from '../ui/format';
import { ProblemAlert } from '../ui/problem-alert';
import { waitForOperation } from './operations';
import { createSecretBody, createSecretFormSchema, emptyCreateSecretForm, formPathOf, type CreateSecretForm } from './secret-form';
import { useUsers } from './secret-queries';
import { TagRows } from './tag-rows';
import { ValueField } from './value-field';
import { applyProblem, FormActions } from '../ui/form-problem';

const TYPE_OPTIONS = Object.entries(SECRET_TYPE_LABELS).map(([value, label]) => ({ value, label }));
export const REMINDER_OPTIONS = [
  { value: 'none', label: 'None' },
  { value: '30', label: '30 days' },
  { value: '60', label: '60 days' },
  { value: '90', label: '90 days' },
  { value: 'custom', label: 'Custom' },
];
const FIELDS = ['name', 'value', 'type', 'description', 'owners', 'customDays', 'tags'];
const NAME_HINT = 'Lowercase letters, digits and single hyphens, e.g. github-api-token.';

export function CreateSecretPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const me = useMe();
  const perms = usePermissions([{ action: 'users:read' }]);
  const users = useUsers(perms.can('users:read').allowed);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [progress, setProgress] = useState<Operation | null>(null);
  const form = useForm<CreateSecretForm>({
    resolver: zodResolver(createSecretFormSchema),
    defaultValues: emptyCreateSecretForm(params.get('name') ?? ''),
    mode: 'onTouched',
  });
  const { errors, isSubmitting } = form.formState;
  const name = form.watch('name');
  const multiline = form.watch('multiline');
  const reminder = form.watch('reminder');
  const tags = form.watch('tags');
  const live = name === '' ? null : secretNameSchema.safeParse(name);
  const liveError = live && !live.success ? live.error.issues[0]?.message : undefined;

  // The value leaves with the page: cleared on success, on cancel, and when navigating away.
  const resetRef = useRef(form.reset);
  useEffect(() => () => resetRef.current(emptyCreateSecretForm()), []);

  const onSubmit = form.handleSubmit(async (values) => {
    setProblem(null);
    const body = createSecretBody(values);
    try {
      const res = await withStatus(api.POST('/secrets', { body }));
      form.resetField('value', { defaultValue: '' });
      form.setValue('value', '');
      void qc.invalidateQueries({ queryKey: ['secrets'] });
      void qc.invalidateQueries({ queryKey: ['secret-names'] });
      const operation = (res.data as { operation?: Operation }).operation;
      if (res.status === 202 && operation) {
        setProgress(operation);
        const done = await waitForOperation(operation.id, setProgress);
        if (done.status === 'failed') {
          setProblem({
            title: 'The secret could not be created',
            status: 422,
            detail: done.error?.message ?? 'The secret store refused the write.',
          });
          return;
        }
      }
      form.reset(emptyCreateSecretForm());
      void navigate(`/settings/secrets/${encodeURIComponent(body.name)}`, { state: { created: true } });
    } catch (err) {
      setProblem(
        applyProblem(err, form.setError, {
          isField: (path) => FIELDS.includes(path) || /^tags\.\d+\.key$/.test(path),
          toFormPath: (path) => formPathOf(path, values.tags),
        }),
      );
    } finally {
      setProgress((op) => (op && op.status !== 'succeeded' && op.status !== 'failed' ? op : null));
    }
  });

  const cancel = () => {
    form.reset(emptyCreateSecretForm());
    void navigate('/settings/secrets');
  };

  const meId = me.data?.user?.id;
  return (
    <>
      <h1>Create Secret</h1>
      <form onSubmit={onSubmit} noValidate className="card form" aria-busy={isSubmitting} autoComplete="off">
        <ProblemAlert problem={problem} other={problem?.errors} onRetry={() => void onSubmit()} />
        <TextField
          label="Name"
          autoComplete="off"
          spellCheck={false}
          hint={NAME_HINT}
          error={errors.name?.message ?? liveError}
          {...form.register('name')}
        />
        <ValueField
          label="Value"
          multiline={multiline}
          registration={form.register('value')}
          multilineToggle={form.register('multiline')}
          error={errors.value?.message}
          hint="Stored encrypted in the secret store. It cannot be viewed again after saving."
        />
        <SelectField label="Type" options={TYPE_OPTIONS} error={errors.type?.message} {...form.register('type')} />
        <TextArea label="Description" rows={2} error={errors.description?.message} {...form.register('description')} />
        <TagRows control={form.control} register={form.register} errors={errors} watchTags={tags} />
        {users.data && users.data.length > 0 && (
          <fieldset>
            <legend>Owners</legend>
            <p className="hint">Owners get the rotation reminders. None selected: you.</p>
            <div className="checks">
              {users.data.map((u) => (
                <label key={u.id} className="check">
                  <input type="checkbox" value={u.id} {...form.register('owners')} /> {u.name || u.email}
                  {u.id === meId ? ' (you)' : ''}
                </label>
              ))}
            </div>
          </fieldset>
        )}
        <div className="row">
          <SelectField label="Rotation reminder" options={REMINDER_OPTIONS} {...form.register('reminder')} />
          {reminder === 'custom' && (
            <TextField label="Custom days" type="number" min={1} max={3650} inputMode="numeric" error={errors.customDays?.message} {...form.register('customDays')} />
          )}
        </div>
        {progress && (
          <div role="status" className="progress">
            <progress aria-label="Creating secret" />
            <span>
              {progress.status === 'queued' ? 'Queued' : 'Writing to the secret store'}… the operation is {progress.status}.
            </span>
          </div>
        )}
        <FormActions busy={isSubmitting} busyLabel="Saving…" onCancel={cancel} />
      </form>
    </>
  );
}
