import { json } from '@codemirror/lang-json';
import { lintGutter, setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { EditorState } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { useEffect, useRef } from 'react';
import type { FieldError } from '../api/problem';
import { locatePath } from './policy-locate';

/** CodeMirror 6 for a policy document, labelled `Policy document`, with the API's messages in place. */
export function PolicyEditor({
  value,
  onChange,
  errors,
  describedBy,
}: {
  value: string;
  onChange: (text: string) => void;
  errors: FieldError[];
  describedBy?: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const changeRef = useRef(onChange);
  changeRef.current = onChange;

  useEffect(() => {
    if (!host.current) return;
    const v = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: value,
        extensions: [
          basicSetup,
          json(),
          // Wrapped lines and no height cap: the editor grows with the document instead of being
          // a scroll region of its own (which keyboard users could not scroll).
          EditorView.lineWrapping,
          lintGutter(),
          EditorView.contentAttributes.of({ 'aria-label': 'Policy document', ...(describedBy ? { 'aria-describedby': describedBy } : {}) }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) changeRef.current(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
    // The editor is created once; later values arrive through the effect below.
  }, []);

  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
  }, [value]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const diagnostics: Diagnostic[] = errors.map((e) => ({ ...locatePath(v.state, e.path), severity: 'error', message: e.message, source: e.path }));
    v.dispatch(setDiagnostics(v.state, diagnostics));
  }, [errors]);

  return <div className="code-editor" ref={host} />;
}
