import { symptomById } from './severity-matrix.js';

/** The symptom, in words, when the guide sends it straight to the CTO and security ("data loss"); else null. */
export function immediateEscalationOf(symptomId: string | null | undefined): string | null {
  const symptom = symptomId ? symptomById(symptomId) : undefined;
  return symptom && symptom.immediateEscalation.length > 0 ? symptom.title : null;
}
