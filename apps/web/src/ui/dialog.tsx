import * as D from '@radix-ui/react-dialog';
import type { ReactNode } from 'react';

/** A modal dialog (Radix): traps focus, closes on Escape, returns focus to the control that opened it. */
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
  return (
    <D.Root open={open} onOpenChange={onOpenChange}>
      <D.Portal>
        <D.Overlay className="overlay" />
        <D.Content className={`dialog ${wide ? 'dialog-wide' : ''}`} aria-describedby={description ? undefined : undefined}>
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
