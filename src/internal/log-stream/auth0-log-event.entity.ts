import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One Auth0 log-stream event, stored once by `log_id` (redeliveries find it there). Only what
 * revocation needs is kept: no IP address, user agent or other details of the event.
 */
@Entity('auth0_log_events')
@Index('ix_auth0_log_events_pending', ['dispatchedAt'], { where: 'revokes AND processed_at IS NULL' })
export class Auth0LogEvent {
  @PrimaryColumn({ name: 'log_id', type: 'text', primaryKeyConstraintName: 'pk_auth0_log_events' })
  logId!: string;
  /** Auth0's event type code (`slo`, `scp`, `sapi`, …). */
  @Column({ name: 'event_type', type: 'text' }) eventType!: string;
  /** The user the event is about: its `user_id`, or for a Management API call the user it addressed. */
  @Column({ type: 'text', nullable: true }) subject!: string | null;
  @Column({ name: 'occurred_at', type: 'timestamptz' }) occurredAt!: Date;
  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' }) receivedAt!: Date;
  /** Whether the event revokes the subject's tokens (docs/revocation.md, the event table). */
  @Column({ type: 'boolean' }) revokes!: boolean;
  /** When its cleanup job was last queued (a revoking event not processed a while later is queued again). */
  @Column({ name: 'dispatched_at', type: 'timestamptz', nullable: true }) dispatchedAt!: Date | null;
  /** Set when its cleanup has run; null on a revoking event still to be acted on. */
  @Column({ name: 'processed_at', type: 'timestamptz', nullable: true }) processedAt!: Date | null;
}
