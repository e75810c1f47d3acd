import * as D from '@radix-ui/react-dialog';
import { useRef, type ReactNode } from 'react';

/**
 * A modal dialog (Radix): traps focus, closes on Escape, and returns focus to the control that
 * opened it (the dialogs are opened from state, not a Radix trigger, so the opener is remembered here).
 */
export function Dialog({
  open,
  onOpenChange,
  title,
  description,
  children,
  wide,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  title: string;
  description?: ReactNode;
  children: ReactNode;
  wide?: boolean;
}) {
  const opener = useRef<HTMLElement | null>(null);
  return (
    <D.Root open={open} onOpenChange={onOpenChange}>
      <D.Portal>
        <D.Overlay className="overlay" />
        <D.Content
          className={`dialog ${wide ? 'dialog-wide' : ''}`}
          onOpenAutoFocus={() => {
            opener.current = document.activeElement instanceof HTMLElement && document.activeElement !== document.body ? document.activeElement : null;
          }}
          onCloseAutoFocus={(e) => {
            if (opener.current?.isConnected) {
              e.preventDefault();
              opener.current.focus();
            }
          }}
        >
          <D.Title className="dialog-title">{title}</D.Title>
          {description ? <D.Description className="muted">{description}</D.Description> : <D.Description className="sr-only">{title}</D.Description>}
          {children}
          <D.Close asChild>
            <button type="button" className="dialog-x" aria-label="Close">
              ×
            </button>
          </D.Close>
        </D.Content>
      </D.Portal>
    </D.Root>
  );
}
