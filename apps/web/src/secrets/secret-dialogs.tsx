import { zodResolver } from '@hookform/resolvers/zod';
import { useEffect, useState } from 'react';
import { useForm } from 'react-hook-form';
import { api, unwrap, withStatus, type Operation, type Schemas, type Secret } from '../api/client';
import { problemOf, type Problem } from '../api/problem';
import { usePermissions } from '../app/permissions';
import { Dialog } from '../ui/dialog';
import { SelectField, TextArea, TextField } from '../ui/field';
import { SECRET_TYPE_LABELS } from '../ui/format';
import { ProblemAlert } from '../ui/problem-alert';
import { waitForOperation } from './operations';
import { editSecretFormSchema, formPathOf, reminderFormSchema, tagsOf, valueFormSchema, type EditSecretForm, type ReminderForm, type ValueForm } from './secret-form';
import { useUsers } from './secret-queries';
import { BoundList } from './secret-detail-page';
import { TagRows } from './tag-rows';
import { ValueField } from './value-field';
import { applyProblem, fieldsIn, FormActions } from '../ui/form-problem';

interface DialogProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onDone: (message: string) => void;
}

const writeOutcome = async (res: { data: unknown; status: number }, setProgress: (op: Operation | null) => void): Promise<Operation | null> => {
  const operation = (res.data as { operation?: Operation }).operation ?? null;
  if (res.status !== 202 || !operation) return operation;
  setProgress(operation);
  return waitForOperation(operation.id, setProgress);
};

function Progress({ op, label }: { op: Operation | null; label: string }) {
  if (!op || op.status === 'succeeded' || op.status === 'failed') return null;
  return (
    <div role="status" className="progress">
      <progress aria-label={label} /> <span>The operation is {op.status}…</span>
    </div>
  );
}

export function UpdateValueDialog({ name, open, onOpenChange, onDone }: DialogProps & { name: string }) {
  const [problem, setProblem] = useState<Problem | null>(null);
  const [progress, setProgress] = useState<Operation | null>(null);
  const form = useForm<ValueForm>({ resolver: zodResolver(valueFormSchema), defaultValues: { value: '', multiline: false } });
  const multiline = form.watch('multiline');
  const { errors, isSubmitting } = form.formState;
  // The value field is emptied whenever the dialog closes, whether saved or cancelled.
  useEffect(() => {
    if (!open) {
      form.reset({ value: '', multiline: false });
      setProblem(null);
      setProgress(null);
    }
  }, [open, form]);

  const onSubmit = form.handleSubmit(async ({ value }) => {
    setProblem(null);
    try {
      const res = await withStatus(api.PUT('/secrets/{name}/value', { params: { path: { name } }, body: { value } }));
      form.reset({ value: '', multiline: false });
      const op = await writeOutcome(res, setProgress);
      if (op?.status === 'failed') {
        setProblem({ title: 'The value was not updated', status: 422, detail: op.error?.message ?? 'The secret store refused the write.' });
        return;
      }
      onOpenChange(false);
      onDone(`Value updated. New version ${(res.data as { secret?: Secret }).secret?.version ?? ''} takes effect immediately for new retrievals.`);
    } catch (err) {
      setProblem(applyProblem(err, form.setError, { isField: fieldsIn(['value']) }));
    }
  });

  return (
    <Dialog open={open} onOpenChange={onOpenChange} title="Update Value" description={`A new version of ${name}.`}>
      <form onSubmit={onSubmit} noValidate autoComplete="off" aria-busy={isSubmitting}>
        <ProblemAlert problem={problem} other={problem?.errors} onRetry={() => void onSubmit()} />
        <ValueField
          label="New value"
          multiline={multiline}
          registration={form.register('value')}
          multilineToggle={form.register('multiline')}
          error={errors.value?.message}
        />
        <p className="note">The new value takes effect immediately for new retrievals; runs already started keep the version they resolved.</p>
        <Progress op={progress} label="Updating value" />
        <FormActions busy={isSubmitting} busyLabel="Saving…" onCancel={() => onOpenChange(false)} />
      </form>
    </Dialog>
  );
}

const INTERVAL_OPTIONS = [
  { value: '30', label: '30 days' },
  { value: '60', label: '60 days' },
  { value: '90', label: '90 days' },
  { value: 'custom', label: 'Custom' },
];

const reminderDefaults = (s: Secret): ReminderForm => {
  const d = s.reminder?.intervalDays;
  if (d === 30 || d === 60 || d === 90) return { reminder: String(d) as '30', customDays: '' };
  if (d) return { reminder: 'custom', customDays: String(d) };
  return { reminder: '90', customDays: '' };
};

export function ReminderDialog({ secret, open, onOpenChange, onDone }: DialogProps & { secret: Secret }) {
  const [problem, setProblem] = useState<Problem | null>(null);
  const form = useForm<ReminderForm>({ resolver: zodResolver(reminderFormSchema), defaultValues: reminderDefaults(secret) });
  const { errors, isSubmitting } = form.formState;
  const choice = form.watch('reminder');
  useEffect(() => {
    if (open) {
      form.reset(reminderDefaults(secret));
      setProblem(null);
    }
  }, [open, secret, form]);
  const path = { params: { path: { name: secret.name } } };

  const onSubmit = form.handleSubmit(async (v) => {
    setProblem(null);
    const intervalDays = v.reminder === 'custom' ? Number(v.customDays) : Number(v.reminder);
    try {
      await api.PUT('/secrets/{name}/reminder', { ...path, body: { intervalDays } });
      onOpenChange(false);
      onDone(`Rotation reminder set: every ${intervalDays} days.`);
    } catch (err) {
      setProblem(applyProblem(err, form.setError, { isField: fieldsIn(['customDays']), toFormPath: (path) => (path === 'intervalDays' ? 'customDays' : path) }));
    }
  });
  const remove = async () => {
    try {
      await api.DELETE('/secrets/{name}/reminder', path);
      onOpenChange(false);
      onDone('Rotation reminder removed.');
    } catch (err) {
      setProblem(problemOf(err));
    }
  };

  return (
    <Dialog open={open} onOpenChange={onOpenChange} title="Set Rotation Reminder" description="The owners get an email when the secret is due for rotation.">
      <form onSubmit={onSubmit} noValidate aria-busy={isSubmitting}>
        <ProblemAlert problem={problem} onRetry={() => void onSubmit()} />
        <SelectField label="Interval" options={INTERVAL_OPTIONS} {...form.register('reminder')} />
        {choice === 'custom' && <TextField label="Custom days" type="number" min={1} max={3650} error={errors.customDays?.message} {...form.register('customDays')} />}
        <div className="actions">
          <button type="submit" disabled={isSubmitting}>
            Save
          </button>
          <button type="button" className="secondary" disabled={!secret.reminder} onClick={() => void remove()}>
            Remove reminder
          </button>
        </div>
      </form>
    </Dialog>
  );
}

const TYPE_OPTIONS = Object.entries(SECRET_TYPE_LABELS).map(([value, label]) => ({ value, label }));
const editDefaults = (s: Secret): EditSecretForm => ({
  type: s.type,
  description: s.description,
  tags: Object.entries(s.tags).map(([key, value]) => ({ key, value })),
  owners: s.owners.map((o) => o.id),
});

export function EditSecretDialog({ secret, open, onOpenChange, onDone }: DialogProps & { secret: Secret }) {
  const [problem, setProblem] = useState<Problem | null>(null);
  const perms = usePermissions([{ action: 'users:read' }], open);
  const users = useUsers(open && perms.can('users:read').allowed);
  const form = useForm<EditSecretForm>({ resolver: zodResolver(editSecretFormSchema), defaultValues: editDefaults(secret) });
  const { errors, isSubmitting } = form.formState;
  const tags = form.watch('tags');
  useEffect(() => {
    if (open) {
      form.reset(editDefaults(secret));
      setProblem(null);
    }
  }, [open, secret, form]);

  const onSubmit = form.handleSubmit(async (v) => {
    setProblem(null);
    try {
      await api.PATCH('/secrets/{name}', {
        params: { path: { name: secret.name } },
        body: { type: v.type, description: v.description, tags: tagsOf(v.tags), ...(users.data ? { owners: v.owners } : {}) },
      });
      onOpenChange(false);
      onDone('Secret updated.');
    } catch (err) {
      setProblem(
        applyProblem(err, form.setError, {
          isField: (x) => ['type', 'description', 'owners'].includes(x) || /^tags\.\d+\.key$/.test(x),
          toFormPath: (path) => formPathOf(path, v.tags),
        }),
      );
    }
  });

  return (
    <Dialog open={open} onOpenChange={onOpenChange} title="Edit" description={`Description, type, tags and owners of ${secret.name}.`} wide>
      <form onSubmit={onSubmit} noValidate aria-busy={isSubmitting}>
        <ProblemAlert problem={problem} other={problem?.errors} onRetry={() => void onSubmit()} />
        <TextArea label="Description" rows={2} error={errors.description?.message} {...form.register('description')} />
        <SelectField label="Type" options={TYPE_OPTIONS} {...form.register('type')} />
        <TagRows control={form.control} register={form.register} errors={errors} watchTags={tags} />
        {users.data && (
          <fieldset>
            <legend>Owners</legend>
            <div className="checks">
              {users.data.map((u) => (
                <label key={u.id} className="check">
                  <input type="checkbox" value={u.id} {...form.register('owners')} /> {u.name || u.email}
                </label>
              ))}
            </div>
          </fieldset>
        )}
        <FormActions busy={isSubmitting} onCancel={() => onOpenChange(false)} />
      </form>
    </Dialog>
  );
}

/** Delete: the review of every bound resource, then type-the-name confirmation. */
export function DeleteSecretDialog({ name, open, onOpenChange, onDeleted }: { name: string; open: boolean; onOpenChange: (o: boolean) => void; onDeleted: () => void }) {
  const [typed, setTyped] = useState('');
  const [problem, setProblem] = useState<Problem | null>(null);
  const [progress, setProgress] = useState<Operation | null>(null);
  const [busy, setBusy] = useState(false);
  const [bound, setBound] = useState<Schemas['BoundResource'][] | null>(null);
  useEffect(() => {
    if (!open) {
      setTyped('');
      setProblem(null);
      setProgress(null);
      setBound(null);
      return;
    }
    let live = true;
    unwrap(api.GET('/secrets/{name}/bindings', { params: { path: { name } } }))
      .then((r) => live && setBound(r.items))
      .catch((err: unknown) => live && setProblem(problemOf(err)));
    return () => {
      live = false;
    };
  }, [open, name]);

  const confirm = async () => {
    if (typed !== name) return;
    setBusy(true);
    setProblem(null);
    try {
      const res = await withStatus(api.DELETE('/secrets/{name}', { params: { path: { name } }, body: { confirm: name } }));
      const op = await writeOutcome(res, setProgress);
      if (op?.status === 'failed') {
        setProblem({ title: 'The secret was not deleted', status: 422, detail: op.error?.message ?? 'The secret store refused the delete.' });
        return;
      }
      onOpenChange(false);
      onDeleted();
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open={open} onOpenChange={onOpenChange} title="Delete secret" description={`Permanently delete ${name}. There is no recovery.`} wide>
      <ProblemAlert problem={problem} onRetry={() => void confirm()} />
      <h3>Bound resources</h3>
      {bound === null ? (
        <p role="status">Checking what uses this secret…</p>
      ) : (
        <>
          {bound.length > 0 && (
            <p className="warning">
              These {bound.length} resource{bound.length === 1 ? '' : 's'} will fail once the secret is deleted, with an error naming it:
            </p>
          )}
          <BoundList items={bound} />
        </>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void confirm();
        }}
      >
        <TextField
          label="Type the secret name to confirm"
          autoComplete="off"
          spellCheck={false}
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
          hint={`Type ${name}`}
        />
        <Progress op={progress} label="Deleting secret" />
        <div className="actions">
          <button type="submit" className="danger" disabled={typed !== name || busy || bound === null}>
            Delete secret
          </button>
          <button type="button" className="secondary" onClick={() => onOpenChange(false)}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
