// The submit of an admin form: clear the last refusal, run the form's own checks (their words go beside
// the fields and nothing is sent), then save with Save disabled meanwhile; a refusal goes above Save and,
// where the hub names fields, beside them (errors.ts).
import { ref } from 'vue';
import { duplicateSkills, type SkillRow } from './forms';
import { fieldErrors, formError, hasError, type FieldErrors } from './errors';

type Translate = (key: string, named?: Record<string, unknown>) => string;

/** What a form checks before the hub does. */
export interface LocalChecks {
  /** A new record whose id is already listed: the PUT is an upsert and would silently replace it. */
  idTaken?: boolean;
  /** Skill rows: the same name twice would collapse into one skill. */
  skills?: SkillRow[];
}

export function localErrors(c: LocalChecks, t: Translate): FieldErrors | null {
  if (c.idTaken) return { id: t('admin.err.idTaken') };
  const dup = c.skills ? duplicateSkills(c.skills) : [];
  return dup.length ? { skills: t('admin.err.duplicateSkill', { names: dup.join(', ') }) } : null;
}

export function useSave(t: Translate) {
  const busy = ref(false);
  const error = ref<{ code: string; message: string } | null>(null);
  const errs = ref<FieldErrors>({});
  /** Whether the hub (or a local check) named this field or anything under it (for aria-invalid). */
  const bad = (path: string) => hasError(errs.value, path);

  async function run(checks: LocalChecks, save: () => Promise<void>): Promise<void> {
    error.value = null;
    errs.value = {};
    const local = localErrors(checks, t);
    if (local) { errs.value = local; return; }
    busy.value = true;
    try {
      await save();
    } catch (e) {
      error.value = formError(e);
      errs.value = fieldErrors(e);
    } finally {
      busy.value = false;
    }
  }
  return { busy, error, errs, bad, run };
}
