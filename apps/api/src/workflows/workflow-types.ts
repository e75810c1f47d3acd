import { ENV_NAME_PATTERN, lineText, multilineText, parseEnvSource } from '@nembl/core';
import { z } from 'zod';
import { secretReferenceSchema, presentEnv } from '../bindings/visibility-fns.js';
import { dateTimeOut, idOut, pageOf } from '../http/response-schemas.js';

export const phaseNameSchema = lineText
  .min(1)
  .max(128)
  .refine((n) => !/[/\\]/.test(n), { message: 'must not contain slashes' });

const envSchema = z
  .record(z.string().regex(ENV_NAME_PATTERN, 'env names are upper-case letters, digits and _ (not starting with a digit)'), multilineText.max(4096))
  .refine((env) => Object.keys(env).length <= 200, 'at most 200 variables per phase')
  .superRefine((env, ctx) => {
    for (const [key, raw] of Object.entries(env)) {
      const src = parseEnvSource(raw);
      if (src.kind === 'invalid') ctx.addIssue({ code: 'custom', path: [key], message: src.message });
    }
  });

export const workflowSchema = z
  .strictObject({
    name: lineText.trim().min(1).max(128),
    phases: z.array(z.strictObject({ name: phaseNameSchema, env: envSchema.default({}) })).max(100),
  })
  .superRefine((w, ctx) => {
    const seen = new Set<string>();
    w.phases.forEach((p, i) => {
      if (seen.has(p.name))
        ctx.addIssue({ code: 'custom', path: ['phases', i, 'name'], message: `duplicate phase name ${p.name}` });
      seen.add(p.name);
    });
  });

export type WorkflowInput = z.infer<typeof workflowSchema>;

export interface WorkflowRow {
  id: string;
  companyId: string;
  name: string;
  phases: Array<{ name: string; env: Record<string, string> }>;
  createdAt: Date;
  updatedAt: Date;
}

export const workflowOutSchema = z
  .object({
    id: idOut,
    name: z.string(),
    phases: z.array(
      z.object({
        name: z.string(),
        env: z.record(z.string(), secretReferenceSchema).meta({
          description: 'A literal, `secret:<name>`, or a hidden reference to a secret the caller may not read.',
        }),
      }),
    ),
    createdAt: dateTimeOut,
    updatedAt: dateTimeOut,
  })
  .meta({ id: 'Workflow' });

export const workflowEnvelopeSchema = z.object({ workflow: workflowOutSchema });
export const workflowPageSchema = pageOf(workflowOutSchema, 'WorkflowPage');

/** `readableSecrets`: the secret names the caller may read; other `secret:` references are shown hidden. */
export const workflowJson = (
  w: WorkflowRow,
  readableSecrets: ReadonlySet<string>,
): z.infer<typeof workflowOutSchema> => ({
  id: w.id,
  name: w.name,
  phases: w.phases.map((phase) => ({
    name: phase.name,
    env: presentEnv(phase.env, (name) => readableSecrets.has(name)),
  })),
  createdAt: w.createdAt.toISOString(),
  updatedAt: w.updatedAt.toISOString(),
});

/** Every `secret:` reference in a workflow, with the field that holds it. */
export const secretReferences = (w: Pick<WorkflowInput, 'phases'>) =>
  w.phases.flatMap((phase, i) =>
    Object.entries(phase.env).flatMap(([key, raw]) => {
      const src = parseEnvSource(raw);
      return src.kind === 'secret'
        ? [{ name: src.name, phase: phase.name, env: key, path: `phases[${i}].env.${key}` }]
        : [];
    }),
  );
