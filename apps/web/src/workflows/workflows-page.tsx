import { zodResolver } from '@hookform/resolvers/zod';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useFieldArray, useForm, type Control, type FieldErrors, type UseFormRegister, type UseFormWatch } from 'react-hook-form';
import { z } from 'zod';
import { api, unwrap, type Schemas } from '../api/client';
import { problemOf, type Problem } from '../api/problem';
import { PermButton, usePermissions } from '../app/permissions';
import { useSecretNames } from '../secrets/secret-queries';
import { SelectField, TextField } from '../ui/field';
import { ProblemAlert } from '../ui/problem-alert';
import { applyProblem } from '../ui/form-problem';

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

export const workflowFormSchema = z.object({
  name: z.string().trim().min(1, 'Enter a workflow name').max(128),
  phases: z
    .array(
      z.object({
        name: z.string().trim().min(1, 'Enter a phase name').max(128),
        vars: z.array(
          z
            .object({ name: z.string().regex(ENV_NAME, 'Use upper-case letters, digits and _ (e.g. DEPLOY_TOKEN)'), source: z.enum(['literal', 'secret']), literal: z.string(), secret: z.string() })
            .superRefine((v, ctx) => {
              if (v.source === 'secret' && !v.secret) ctx.addIssue({ code: 'custom', path: ['secret'], message: 'Choose a secret' });
            }),
        ),
      }),
    )
    .min(1, 'Add at least one phase'),
});
type WorkflowForm = z.infer<typeof workflowFormSchema>;

const toBody = (v: WorkflowForm) => ({
  name: v.name,
  phases: v.phases.map((p) => ({
    name: p.name,
    env: Object.fromEntries(p.vars.map((x) => [x.name, x.source === 'secret' ? `secret:${x.secret}` : x.literal])),
  })),
});

/** `phases[0].env.DEPLOY_TOKEN` → `phases.0.vars.N.name` in the form. */
const formPath = (path: string, v: WorkflowForm): string => {
  const m = /^phases\[(\d+)\]\.env\.([A-Za-z0-9_]+)$/.exec(path) ?? /^phases\.(\d+)\.env\.([A-Za-z0-9_]+)$/.exec(path);
  if (m) {
    const i = Number(m[1]);
    const j = v.phases[i]?.vars.findIndex((x) => x.name === m[2]) ?? -1;
    if (j >= 0) return `phases.${i}.vars.${j}.${v.phases[i]?.vars[j]?.source === 'secret' ? 'secret' : 'name'}`;
  }
  return path.replace(/\[(\d+)\]/g, '.$1');
};

type EnvValue = Schemas['Workflow']['phases'][number]['env'][string];
/** `secret:<name>` references, by name; one the person may not read arrives as `{ hidden: true }`. */
const secretsUsed = (w: Schemas['Workflow']): string[] => [
  ...new Set(
    w.phases.flatMap((p) =>
      Object.values(p.env).map((v: EnvValue) => (typeof v !== 'string' ? 'a secret you may not see' : v.startsWith('secret:') ? v.slice('secret:'.length) : null)).filter((v): v is string => v !== null),
    ),
  ),
];
const showEnv = ([k, v]: [string, EnvValue]): string => (typeof v !== 'string' ? `${k} ← a secret you may not see` : v.startsWith('secret:') ? `${k} ← ${v}` : `${k} = ${v}`);

export function WorkflowsPage() {
  const [creating, setCreating] = useState(false);
  const perms = usePermissions([{ action: 'workflows:create' }]);
  const list = useQuery({ queryKey: ['workflows'], queryFn: async () => (await unwrap(api.GET('/workflows', { params: { query: { limit: 200 } } }))).items });
  return (
    <>
      <div className="page-head">
        <h1>Workflows</h1>
        <PermButton perm={perms.can('workflows:create')} onClick={() => setCreating(true)} disabled={creating}>
          Create Workflow
        </PermButton>
      </div>
      {creating && <WorkflowBuilder onClose={() => setCreating(false)} />}
      {list.isError && <ProblemAlert problem={problemOf(list.error)} onRetry={() => void list.refetch()} />}
      {list.data && list.data.length === 0 && !creating && <p>No workflows yet.</p>}
      <ul className="cards">
        {list.data?.map((w) => (
          <li key={w.id} className="card" aria-labelledby={`wf-${w.id}`}>
            <h2 id={`wf-${w.id}`}>{w.name}</h2>
            <p>
              Uses secrets: {secretsUsed(w).length === 0 ? 'none' : secretsUsed(w).map((s) => <span key={s} className="tag">{s}</span>)}
            </p>
            <ol className="phases">
              {w.phases.map((p) => (
                <li key={p.name}>
                  <strong>{p.name}</strong>{' '}
                  <span className="muted">
                    {Object.entries(p.env).map(showEnv).join(', ') || 'no variables'}
                  </span>
                </li>
              ))}
            </ol>
          </li>
        ))}
      </ul>
    </>
  );
}

function WorkflowBuilder({ onClose }: { onClose: () => void }) {
  const qc = useQueryClient();
  const [problem, setProblem] = useState<Problem | null>(null);
  const form = useForm<WorkflowForm>({ resolver: zodResolver(workflowFormSchema), defaultValues: { name: '', phases: [] } });
  const phases = useFieldArray({ control: form.control, name: 'phases' });
  const { errors, isSubmitting } = form.formState;
  const onSubmit = form.handleSubmit(async (v) => {
    setProblem(null);
    try {
      await api.POST('/workflows', { body: toBody(v) });
      void qc.invalidateQueries({ queryKey: ['workflows'] });
      void qc.invalidateQueries({ queryKey: ['secrets'] });
      void qc.invalidateQueries({ queryKey: ['secret'] });
      onClose();
    } catch (err) {
      setProblem(
        applyProblem(err, form.setError, {
          isField: (x) => x === 'name' || /^phases\.\d+\.(name|vars\.\d+\.(name|secret))$/.test(x),
          toFormPath: (path) => formPath(path, v),
        }),
      );
    }
  });
  return (
    <form className="card form" onSubmit={onSubmit} noValidate aria-labelledby="builder-heading" aria-busy={isSubmitting}>
      <h2 id="builder-heading">New workflow</h2>
      <ProblemAlert problem={problem} other={problem?.errors} onRetry={() => void onSubmit()} />
      <TextField label="Workflow name" autoComplete="off" error={errors.name?.message} {...form.register('name')} />
      {phases.fields.map((f, i) => (
        <PhaseEditor key={f.id} index={i} control={form.control} register={form.register} errors={errors} watch={form.watch} onRemove={() => phases.remove(i)} />
      ))}
      {errors.phases?.message && (
        <span role="alert" className="field-error">
          {errors.phases.message}
        </span>
      )}
      <div className="actions">
        <button type="button" className="secondary" onClick={() => phases.append({ name: '', vars: [] }, { shouldFocus: true })}>
          Add phase
        </button>
        <button type="submit" disabled={isSubmitting}>
          Save
        </button>
        <button type="button" className="secondary" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function PhaseEditor({
  index,
  control,
  register,
  errors,
  watch,
  onRemove,
}: {
  index: number;
  control: Control<WorkflowForm>;
  register: UseFormRegister<WorkflowForm>;
  errors: FieldErrors<WorkflowForm>;
  watch: UseFormWatch<WorkflowForm>;
  onRemove: () => void;
}) {
  const vars = useFieldArray({ control, name: `phases.${index}.vars` });
  const names = useSecretNames();
  const pe = errors.phases?.[index];
  return (
    <fieldset className="phase">
      <legend>Phase {index + 1}</legend>
      <TextField label="Phase name" autoComplete="off" error={pe?.name?.message} {...register(`phases.${index}.name`)} />
      {vars.fields.map((f, j) => {
        const source = watch(`phases.${index}.vars.${j}.source`);
        const ve = pe?.vars?.[j];
        return (
          <div className="var-row" key={f.id}>
            <TextField label="Variable name" autoComplete="off" className="mono" error={ve?.name?.message} {...register(`phases.${index}.vars.${j}.name`)} />
            <SelectField
              label="Value source"
              options={[
                { value: 'literal', label: 'Literal' },
                { value: 'secret', label: 'Secret' },
              ]}
              {...register(`phases.${index}.vars.${j}.source`)}
            />
            {source === 'secret' ? (
              <SelectField
                label="Secret"
                options={[{ value: '', label: 'Choose a secret' }, ...(names.data ?? []).map((n) => ({ value: n, label: n }))]}
                error={ve?.secret?.message}
                {...register(`phases.${index}.vars.${j}.secret`)}
              />
            ) : (
              <TextField label="Value" autoComplete="off" hint="Plain configuration, not a secret." {...register(`phases.${index}.vars.${j}.literal`)} />
            )}
            <button type="button" className="secondary small" onClick={() => vars.remove(j)}>
              Remove variable
            </button>
          </div>
        );
      })}
      <div className="actions">
        <button type="button" className="secondary" onClick={() => vars.append({ name: '', source: 'literal', literal: '', secret: '' }, { shouldFocus: true })}>
          Add variable
        </button>
        <button type="button" className="secondary small" onClick={onRemove}>
          Remove phase
        </button>
      </div>
    </fieldset>
  );
}
