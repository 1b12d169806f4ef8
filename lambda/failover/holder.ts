/**
 * The lease holder: a run that holds the lease polls, decides, moves, keeps the lease and the state,
 * answers operators' requests, and hands over to the next run. See poller.ts for how a run gets
 * the lease.
 */

import {
    afterMove,
    decide,
    decideManual,
    holdDownSeconds,
    mergeLoaded,
    persisted,
    positionOf,
    samePosition,
    ACTIVE_WEIGHTS,
    FAILBACK_MOVE,
    FAILOVER_MOVE,
    FAILOVER_WEIGHTS,
    type Decision,
    type ControllerState,
    type Move,
    type Notice,
    type PendingMove,
} from "./controller";
import { readHealth, readListener, withWeights, writeWeights, type ListenerView } from "./elb";
import { loadState } from "./loadState";
import { loadBalancerName, moveDetails, moveFailedMessage, moveMessage, notify } from "./notify";
import {
    CALL_TIMEOUTS_MS,
    CallTimeoutError,
    errorText,
    isConditionFailure,
    wasRejected,
    type LogRecord,
} from "./runtime";
import { ControllerStore, parseRequest, type Carried, type ControllerItem, type RequestRecord } from "./store";

import {
    FINISH_MS,
    HEARTBEAT_MS,
    HANDOVER_CONFIRM_MS,
    HANDOVER_WATCH_POLL_MS,
    LATE_WRITE_MS,
    LEASE_SAFETY_MS,
    REQUEST_TTL_MS,
    stopReserveMs,
    type MoveOutcome,
    type RunContext,
    type RunSummary,
    type Trigger,
} from "./context";

export interface Holding {
    state: ControllerState;
    /** JSON of the state last written, or null when the state is unknown (never write over it). */
    saved: string | null;
    /** The state attribute could not be understood: it stays unknown for the whole run. */
    corrupt: boolean;
    /** When the lease ends, as DynamoDB has it. */
    leaseUntil: number;
    /** The item may hold a pending move (see `PendingMove`): remove it once done with. */
    pendingInTable: boolean;
    /** Handed over: renew right after the first poll, unless the acknowledgement renewed already. */
    handed?: boolean;
    /** A handed-over run's acknowledgement, under way (see `acknowledgeHandover`). */
    acknowledgement?: Promise<Acknowledgement>;
}

/** What the acknowledgement of a handover found: the lease renewed (when, and the expiry it wrote), taken back, or unknown. */
export type Acknowledgement = { readonly at: number; readonly expiresAt: number } | "lost" | "unknown";

/**
 * A run that holds the lease: its state, the listener as last read, and the steps of its loop.
 * Every method catches what AWS throws and logs it; only `poll` and `renew` decide how a run ends.
 */
export class LeaseHolder {
    private state: ControllerState;
    /** JSON of the state last written ("" = never written; null = unknown: never write over it). */
    private saved: string | null;
    private readonly corrupt: boolean;
    private leaseUntil: number;
    /** The expiry this run last wrote (or, after a handover, read): the handover's version check. */
    private writtenExpiry: number;
    /** No new handover before this, after one failed: renew and poll meanwhile. */
    private handoverRetryAt = -Infinity;
    /** The successor the last renewal found waiting: handed the lease right after the next poll. */
    private successor: string | undefined;
    /** The last step of the loop was a poll (see `handoverDue`). */
    private justPolled = false;
    /** The last poll read the active group with a healthy target. */
    private lastPollClear = false;
    private successorSeenAt = -Infinity;
    /** The last poll's active read timed out and was retried at once (see `poll`): the next one waits. */
    private retriedLostRead = false;
    private pendingInTable: boolean;
    /** A record of a pending move that got no answer may land until then: its removal proves nothing before. */
    private pendingLateUntil = -Infinity;
    /** A peek at the item for a waiting successor, under way (see `startPeek`). */
    private peeking: Promise<void> | undefined;
    /** The handover's acknowledgement, until the loop has taken in its outcome. */
    private acknowledging: Promise<void> | undefined;
    /** A write failed its `#holder = :me` condition: another run holds the lease. */
    private lost = false;
    private listener: ListenerView | null = null;
    private listenerReadAt = -Infinity;
    private lastRenewAt: number;
    private lastHeartbeatAt = -Infinity;
    private saveNow: boolean;
    private nextPollAt: number;
    private failureNotified = false;
    /** Notifications still on their way (see {@link later}). */
    private readonly background: Promise<unknown>[] = [];
    private lastActiveReadFailed = false;
    polls = 0;
    pollErrors = 0;
    lastReason: string | null = null;
    readonly moves: MoveOutcome[] = [];

    constructor(
        private readonly ctx: RunContext,
        private readonly store: ControllerStore,
        holding: Holding,
        private readonly trigger: Trigger,
    ) {
        this.state = holding.state;
        this.saved = holding.saved;
        this.corrupt = holding.corrupt;
        this.leaseUntil = holding.leaseUntil;
        this.writtenExpiry = holding.leaseUntil;
        this.pendingInTable = holding.pendingInTable;
        this.saveNow = holding.saved === "";
        // Handed over: a renewal period as if gone, so the renewal comes right after the first poll
        // (not before it: that would delay the first poll, the failover's time), unless the
        // acknowledgement, under way meanwhile, renewed already.
        this.lastRenewAt = ctx.clock.now() - (holding.handed ? ctx.config.renewSeconds * 1000 : 0);
        this.nextPollAt = ctx.clock.now();
        const settle = (ack: Acknowledgement) => {
            this.acknowledged(ack);
            this.acknowledging = undefined;
        };
        this.acknowledging = holding.acknowledgement?.then(settle, () => settle("unknown"));
    }

    /**
     * The acknowledgement renewed the lease: the first renewal of the cadence (none right after the
     * first poll). Taken back: the run ends, having moved nothing (a move's record needs the
     * lease). Unknown: the renewal after the first poll stays due.
     */
    private acknowledged(ack: Acknowledgement): void {
        if (ack === "unknown" || this.lost) return;
        if (ack === "lost") {
            this.leaseUntil = -Infinity;
            this.lost = true;
            this.log({ event: "lease_lost", listenerArn: this.config.listenerArn, runId: this.ctx.runId });
            return;
        }
        this.leaseUntil = ack.expiresAt;
        this.writtenExpiry = ack.expiresAt;
        this.lastRenewAt = ack.at;
        // The relay's heartbeat goes on from the moment the lease is taken (the controller-down alarm counts them).
        this.lastHeartbeatAt = this.now();
        this.log({ event: "heartbeat", listenerArn: this.config.listenerArn, runId: this.ctx.runId });
    }

    private get config() {
        return this.ctx.config;
    }

    private now() {
        return this.ctx.clock.now();
    }

    private log(record: LogRecord) {
        this.ctx.log(record);
    }

    /** Starts work the run must finish before it ends, but that must not hold up the loop. */
    private later(work: Promise<unknown>): void {
        this.background.push(work.catch(() => undefined));
    }

    /** What {@link later} started, finished. */
    async settle(): Promise<void> {
        while (this.background.length > 0) await Promise.all(this.background.splice(0));
    }

    /** The loop (see {@link loop}), and then what it left running. */
    async run(startedAt: number): Promise<RunSummary["ended"]> {
        try {
            return await this.loop(startedAt);
        } finally {
            await this.acknowledging;
            await this.peeking;
            await this.settle();
        }
    }

    /** Renew (answer requests, hand over), poll, decide, move; until handed over, released or lost. */
    private async loop(startedAt: number): Promise<RunSummary["ended"]> {
        while (true) {
            if (this.lost) return "lease_lost";
            if (
                this.ctx.remainingMs() < stopReserveMs(this.config) ||
                this.now() - startedAt >= this.config.maxRunSeconds * 1000
            ) {
                await this.release();
                return "released";
            }
            if (this.handoverDue()) {
                const successor = this.successor!;
                const handed = await this.handOver(successor);
                this.successor = undefined;
                if (typeof handed === "number") {
                    if ((await this.watchHandover(successor, handed)) === "handed_over") return "handed_over";
                    continue;
                }
                if (handed === "handed_over") return "handed_over";
                if (handed === "lost") return "lease_lost";
                // Kept: renew at once (that also voids the failed handover, should it still reach
                // DynamoDB), poll, and try the handover again a renewal period later, to the
                // successor the item then names.
                this.handoverRetryAt = this.now() + this.config.renewSeconds * 1000;
                continue;
            }
            this.justPolled = false;
            if (this.acknowledging && (this.saveNow || this.renewalDue())) {
                // No renewal while the acknowledgement is under way: the expiry each wrote would be in doubt.
                await this.acknowledging;
                continue;
            }
            if (this.saveNow || this.renewalDue()) {
                const item = await this.renew();
                if (item === "lost") return "lease_lost";
                if (item !== "failed") {
                    await this.afterRenewal(item);
                    const request = this.freshRequest(item);
                    if (request && (await this.claim(request))) await this.respond(request, await this.answer(request));
                }
            }
            if (this.now() >= this.leaseUntil) {
                // The lease lapsed (its renewals failed) or is not confirmed: another run may hold
                // it now. Neither poll nor report (that run does), only try to renew, every poll
                // interval; the missing heartbeats raise the controller-down alarm meanwhile.
                await this.ctx.clock.sleep(this.config.pollIntervalSeconds * 1000);
                this.lastRenewAt = -Infinity;
                continue;
            }
            // A renewal and the request it found may have used up what a poll and the release need.
            if (this.ctx.remainingMs() < stopReserveMs(this.config)) {
                await this.release();
                return "released";
            }
            await this.poll();
            this.justPolled = true;
        }
    }

    /**
     * Hand over right after a poll, never in place of one: the successor's first poll then comes
     * as soon as the handover's write and the successor's next read of the item allow, and the
     * polls before it were this run's. The successor is the one the last renewal found waiting.
     * Not after a poll that saw the active group down or could not read it (a move may be one poll
     * away: this run makes it, rather than a successor's first poll, which reads and checks the
     * lease from scratch), unless the successor has waited a renewal period already.
     */
    private handoverDue(): boolean {
        return (
            this.successor !== undefined &&
            this.justPolled &&
            (this.lastPollClear || this.now() - this.successorSeenAt >= this.config.renewSeconds * 1000) &&
            this.now() >= this.handoverRetryAt &&
            this.now() < this.leaseUntil &&
            Number.isFinite(this.writtenExpiry)
        );
    }

    /**
     * With a poll that no renewal came just before, and alongside its reads (so that it delays
     * neither the poll nor a handover right after it): an eventually consistent read of the item,
     * so that a waiting successor is seen within a poll interval rather than at the next renewal
     * (up to `renewSeconds` later). The successor's wait is billed Lambda time, and costs more
     * than the reads (see the README's costs). Only while no successor is known, the lease is
     * valid and no acknowledgement is under way. A failed or stale read costs nothing but the
     * wait: the next renewal finds the successor, as it would without the peek; a successor that
     * has left since fails the handover's condition.
     */
    private startPeek(): void {
        if (this.peeking !== undefined || this.successor !== undefined || this.acknowledging !== undefined) return;
        if (!this.leaseValid() || this.now() - this.lastRenewAt < this.config.pollIntervalSeconds * 1000) return;
        const startedAt = this.now();
        this.peeking = this.store
            .peek()
            .then(
                (item) => {
                    // A renewal (or take-back) since it started read the item afresh: it knows better.
                    if (this.successor !== undefined || this.lastRenewAt > startedAt) return;
                    if (item.successor === undefined || item.successor === this.ctx.runId) return;
                    this.successor = item.successor;
                    this.successorSeenAt = this.now();
                },
                () => undefined,
            )
            .finally(() => {
                this.peeking = undefined;
            });
    }

    /**
     * A renewal every `renewSeconds`, but not when the next poll is due before it could end (it
     * would make that poll late: the failover's time): then after that poll, and at the latest
     * after twice the period (well inside the lease, less its safety margin).
     */
    private renewalDue(): boolean {
        const since = this.now() - this.lastRenewAt;
        const period = this.config.renewSeconds * 1000;
        if (since < period) return false;
        return since >= 2 * period || this.nextPollAt - this.now() >= CALL_TIMEOUTS_MS.db;
    }

    private stateToWrite(): string | undefined {
        if (!this.state.known) return undefined;
        const json = JSON.stringify(persisted(this.state));
        return json === this.saved ? undefined : json;
    }

    /** What the next write carries: the state if it changed, the pending move's removal once it is done with. */
    private toCarry(): Carried {
        return { state: this.stateToWrite(), clearPending: this.pendingInTable && this.state.pending === null };
    }

    /**
     * After a write that carried `c`, started at `at`, landed. A removal of the pending move that
     * started before an unanswered record of it could no longer land proves nothing: it stays to remove.
     */
    private carriedOver(c: Carried, at: number): void {
        if (c.state !== undefined) this.saved = c.state;
        if (c.clearPending && at >= this.pendingLateUntil) this.pendingInTable = false;
    }

    /**
     * After a handover that carried `c` landed. Its removal of the pending move is final, however
     * late an unanswered record of it lands: the record's condition names this run as the holder.
     */
    private handedOver(c: Carried, at: number): void {
        this.carriedOver(c, at);
        if (c.clearPending) this.pendingInTable = false;
    }

    private leaseValid(): boolean {
        return this.now() < this.leaseUntil - LEASE_SAFETY_MS;
    }

    private async safe<T>(what: string, read: () => Promise<T>): Promise<T | undefined> {
        try {
            return await read();
        } catch (err) {
            this.pollErrors += 1;
            this.log({
                event: "poll_error",
                listenerArn: this.config.listenerArn,
                trigger: this.trigger,
                read: what,
                error: errorText(err),
            });
            return undefined;
        }
    }

    /** Extends the lease and saves the state if it changed; "lost" when another run has the lease. */
    async renew(): Promise<ControllerItem | "lost" | "failed"> {
        // After the acknowledgement (if one is under way): two renewals in flight at once leave the
        // expiry in the item in doubt, and the next handover's condition names it.
        if (this.acknowledging) await this.acknowledging;
        if (this.lost) return "lost";
        const now = this.now();
        const carry = this.toCarry();
        try {
            const item = await this.store.renew(this.ctx.runId, now, this.config.leaseSeconds * 1000, carry);
            this.leaseUntil = now + this.config.leaseSeconds * 1000;
            this.writtenExpiry = this.leaseUntil;
            this.lastRenewAt = now;
            this.carriedOver(carry, now);
            this.saveNow = false;
            // Every renewal returns the item: the successor waiting, if any (see `handoverDue`).
            const successor = item.successor && item.successor !== this.ctx.runId ? item.successor : undefined;
            if (successor !== this.successor) this.successorSeenAt = this.now();
            this.successor = successor;
            return item;
        } catch (err) {
            if (isConditionFailure(err)) {
                this.leaseUntil = -Infinity;
                this.lost = true;
                this.log({ event: "lease_lost", listenerArn: this.config.listenerArn, runId: this.ctx.runId });
                return "lost";
            }
            // No answer: retried at the next loop (about a second), not after a whole renewal
            // period: the DynamoDB client makes one attempt per call.
            this.log({
                event: carry.state !== undefined ? "state_save_failed" : "lease_error",
                listenerArn: this.config.listenerArn,
                error: errorText(err),
            });
            return "failed";
        }
    }

    /** A heartbeat, and a second try at a state the first read could not get. */
    private async afterRenewal(item: ControllerItem): Promise<void> {
        if (this.now() - this.lastHeartbeatAt >= HEARTBEAT_MS) {
            this.lastHeartbeatAt = this.now();
            this.log({ event: "heartbeat", listenerArn: this.config.listenerArn, runId: this.ctx.runId });
        }
        if (!this.state.known && !this.corrupt) {
            const loaded = await loadState(this.ctx, item);
            if (loaded.state.known) {
                this.state = mergeLoaded(this.state, persisted(loaded.state));
                this.saved = loaded.saved;
                this.saveNow = loaded.saved === "";
            }
        }
    }

    /**
     * Gives the lease to the waiting successor. A failed handover may still have landed (the reply
     * was lost, or an earlier attempt landed and this one failed its condition), so until a read
     * or a renewal says whose the lease is, this run moves nothing: "handed_over" or "lost" when
     * the item names another holder, "kept" otherwise (then the next renewal confirms it, and
     * voids the handover should it land later: it is conditional on the expiry it replaces).
     */
    private async handOver(successor: string): Promise<number | "handed_over" | "lost" | "kept"> {
        const carry = this.toCarry();
        const at = this.now();
        const leaseMs = this.config.leaseSeconds * 1000;
        try {
            const expiry = await this.store.handOver(this.ctx.runId, successor, at, leaseMs, this.writtenExpiry, carry);
            this.handedOver(carry, at);
            this.leaseUntil = -Infinity;
            return expiry;
        } catch (err) {
            this.leaseUntil = -Infinity;
            this.saveNow = true;
            this.log({
                event: "lease_error",
                listenerArn: this.config.listenerArn,
                error: `handover to ${successor}: ${errorText(err)}; moving nothing until the lease is confirmed`,
            });
        }
        let item: ControllerItem;
        try {
            item = await this.store.read();
        } catch (err) {
            this.log({ event: "lease_error", listenerArn: this.config.listenerArn, error: errorText(err) });
            return "kept";
        }
        if (item.holder === this.ctx.runId) return "kept";
        if (item.holder === successor) {
            // The handover landed and its reply was lost. As the handover left it (the expiry it
            // wrote, no pending move): watched like one that was answered, so a successor that
            // died meanwhile does not leave the lease to lapse.
            if (item.expiresAt === at + leaseMs && item.pendingMove === undefined) {
                this.handedOver(carry, at);
                return at + leaseMs;
            }
            return "handed_over";
        }
        this.log({ event: "lease_lost", listenerArn: this.config.listenerArn, runId: this.ctx.runId });
        return "lost";
    }

    /**
     * After a handover that landed (it wrote `handedExpiry`): waits for the successor's
     * acknowledgement (its first write, see `acknowledgeHandover`), which shows it alive. With
     * none within {@link HANDOVER_CONFIRM_MS} (the successor crashed, or lost its network, after
     * it registered), takes the lease back
     * while the item is as the handover left it ({@link takeBack}), and carries on: "kept".
     * "handed_over" when the successor acknowledged, or the item shows anything but the handover
     * (a pending move, a release, another holder), or the lease cannot be taken back (then it
     * lapses to the next run, as before this watch). A successor that was only slow finds its
     * lease lost at its acknowledgement or its next renewal, having moved nothing: its moves need
     * the pending mark that the take-back's condition rules out. A successor that crashes after
     * its acknowledgement is not seen: the lease lapses to the next run.
     */
    private async watchHandover(successor: string, handedExpiry: number): Promise<"handed_over" | "kept"> {
        // A pending move this run left in the item (its outcome not yet confirmed): the take-back's
        // condition would fail anyway; the successor deals with it.
        if (this.pendingInTable) return "handed_over";
        const deadline = this.now() + HANDOVER_CONFIRM_MS;
        while (this.now() < deadline) {
            await this.ctx.clock.sleep(Math.min(HANDOVER_WATCH_POLL_MS, deadline - this.now()));
            try {
                const item = await this.store.read();
                if (item.holder !== successor || item.expiresAt !== handedExpiry || item.pendingMove !== undefined)
                    return "handed_over";
            } catch (err) {
                this.log({ event: "lease_error", listenerArn: this.config.listenerArn, error: errorText(err) });
            }
        }
        return this.takeBack(successor, handedExpiry);
    }

    /**
     * The take-back: a write conditional on the item being exactly as the handover left it. One
     * that is refused, or gets no answer, is followed by a read: the item this run's ("kept": a
     * try whose reply was lost landed), still as the handover left it (tried again, after
     * {@link HANDOVER_WATCH_POLL_MS} unless it was refused: safe, since once one try lands the
     * next fails its condition), or anything else ("handed_over": the successor acknowledged,
     * moved or left). A try starts only while one that got no answer could still land, and a read
     * settles it, before the handed lease is about to end (it then lapses to the next run) and
     * inside what the run has left (a release included: a lease taken back that the run cannot
     * use is released at once). Out of time after a try that got no answer: one read once it can
     * no longer land (`LATE_WRITE_MS`), so that a late one is not left holding the lease.
     */
    private async takeBack(successor: string, handedExpiry: number): Promise<"handed_over" | "kept"> {
        const leaseMs = this.config.leaseSeconds * 1000;
        const db = CALL_TIMEOUTS_MS.db;
        const canTry = () =>
            this.now() + LATE_WRITE_MS + db < handedExpiry - LEASE_SAFETY_MS &&
            this.ctx.remainingMs() >= FINISH_MS + LATE_WRITE_MS + 2 * db;
        /** Whether the item, read, settles it: this run's, still as handed, or someone else's. */
        const read = async (): Promise<"kept" | "handed" | "handed_over"> => {
            const item = await this.store.read();
            if (item.holder === this.ctx.runId && item.expiresAt !== undefined) {
                this.reclaimed(successor, item.expiresAt - leaseMs, item.expiresAt);
                return "kept";
            }
            const handed =
                item.holder === successor && item.expiresAt === handedExpiry && item.pendingMove === undefined;
            return handed ? "handed" : "handed_over";
        };
        let readFirst = false;
        /** When the last try that got no answer (and so may still land) started. */
        let unansweredAt: number | undefined;
        for (let tries = 0; tries < 100 && canTry(); tries++) {
            let refused: boolean;
            try {
                if (readFirst) {
                    const seen = await read();
                    if (seen !== "handed") return seen;
                }
                readFirst = true;
                const now = this.now();
                try {
                    await this.store.reclaim(this.ctx.runId, successor, handedExpiry, now, leaseMs);
                } catch (err) {
                    // Refused or rejected (throttled), it applied nothing; anything else may land.
                    if (!isConditionFailure(err) && !wasRejected(err)) unansweredAt = now;
                    throw err;
                }
                return this.reclaimed(successor, now, now + leaseMs);
            } catch (err) {
                refused = isConditionFailure(err);
                if (!refused)
                    this.log({
                        event: "lease_error",
                        listenerArn: this.config.listenerArn,
                        error: `take-back from ${successor}: ${errorText(err)}; trying again, moving nothing meanwhile`,
                    });
            }
            if (!refused) await this.ctx.clock.sleep(HANDOVER_WATCH_POLL_MS);
        }
        if (unansweredAt !== undefined) {
            const wait = unansweredAt + LATE_WRITE_MS - this.now();
            if (wait > 0) await this.ctx.clock.sleep(wait);
            try {
                if ((await read()) === "kept") return "kept";
            } catch (err) {
                this.log({ event: "lease_error", listenerArn: this.config.listenerArn, error: errorText(err) });
            }
        }
        return "handed_over";
    }

    /** The lease is this run's again: renewed at `at`, to `expiresAt`. */
    private reclaimed(successor: string, at: number, expiresAt: number): "kept" {
        this.leaseUntil = expiresAt;
        this.writtenExpiry = expiresAt;
        this.lastRenewAt = at;
        // A record of a move that got no answer may still land now that this run holds the lease again.
        if (this.now() < this.pendingLateUntil) this.pendingInTable = true;
        this.log({
            event: "handover_reclaimed",
            listenerArn: this.config.listenerArn,
            runId: this.ctx.runId,
            successor,
            error: `no acknowledgement from the successor within ${HANDOVER_CONFIRM_MS} ms of the handover: taken back`,
        });
        return "kept";
    }

    async release(): Promise<void> {
        try {
            await this.store.release(this.ctx.runId, this.now(), this.toCarry());
        } catch (err) {
            this.log({ event: "lease_error", listenerArn: this.config.listenerArn, error: errorText(err) });
        }
    }

    /** An operator's request in the item, if it is young enough to act on (see REQUEST_TTL_MS). */
    private freshRequest(item: ControllerItem): RequestRecord | null {
        const request = parseRequest(item.request);
        if (!request || item.requestAt === undefined) return null;
        return this.now() - item.requestAt < REQUEST_TTL_MS ? request : null;
    }

    /**
     * Takes the request before acting on it (see `ControllerStore.claimRequest`). False when it
     * was withdrawn or is too old, and when the outcome is unknown: acting only on a request
     * known to be taken, this run never acts on one the operator was told nothing came of.
     */
    async claim(request: RequestRecord): Promise<boolean> {
        try {
            await this.store.claimRequest(this.ctx.runId, request, this.now(), REQUEST_TTL_MS);
            return true;
        } catch (err) {
            this.log({
                event: "lease_error",
                listenerArn: this.config.listenerArn,
                error: `operator request ${request.id} not taken: ${isConditionFailure(err) ? "withdrawn, too old, or the lease is gone" : errorText(err)}`,
            });
            return false;
        }
    }

    private async respond(request: RequestRecord, result: Record<string, unknown>): Promise<void> {
        try {
            await this.store.respond({ id: request.id, result });
        } catch (err) {
            // The operator's invocation then says the outcome is unknown.
            this.log({ event: "lease_error", listenerArn: this.config.listenerArn, error: errorText(err) });
        }
    }

    /** One poll: read what the position calls for, decide, move, report. */
    private async poll(): Promise<void> {
        const { config, calls, clock } = this.ctx;
        const wait = this.nextPollAt - this.now();
        if (wait > 0) await clock.sleep(wait);
        const time = this.now();
        this.polls += 1;

        const position = this.listener?.weights ? positionOf(this.listener.weights) : null;
        const onActive = position === "active";
        const interval = (onActive || position === null ? 1 : 2) * config.pollIntervalSeconds * 1000;
        this.nextPollAt = Math.max(time, this.nextPollAt) + interval;
        // After a lost read of the active group, or one that found it down without a move (the
        // failover group's health was lost, say), read everything at once, and start the move's
        // lease check with it: if the group is down, the move then needs no second round trip.
        const suspect = this.lastActiveReadFailed || (onActive && this.state.activeUnhealthyPolls > 0);
        const periodic =
            this.listener === null || time - this.listenerReadAt >= config.standbyCheckSeconds * 1000 || suspect;
        let failoverRead = !onActive || periodic;
        let fenced: Promise<PendingMove | null> | undefined;
        if (suspect && onActive && this.failoverLikely() && this.leaseValid()) {
            fenced = this.fence(FAILOVER_MOVE, false, 0);
        }
        let activeTimedOut = false;
        this.startPeek();
        const reads = await Promise.all([
            this.safe("active health", () =>
                readHealth(calls, config.activeTargetGroupArn).catch((err: unknown) => {
                    activeTimedOut = err instanceof CallTimeoutError;
                    throw err;
                }),
            ),
            failoverRead
                ? this.safe("failover health", () => readHealth(calls, config.failoverTargetGroupArn))
                : undefined,
            periodic ? this.safe("listener", () => readListener(calls, config.listenerArn, config)) : undefined,
        ]);
        const active = reads[0];
        this.lastActiveReadFailed = active === undefined;
        this.lastPollClear = active !== undefined && active !== null && active > 0;
        // A read that got no answer in time used up most of the interval: read again at once
        // (everything, and with the move's lease check, as after any lost read), once; a second
        // loss in a row, or an error the service answered (throttling), waits for the next poll.
        // The decisions count two polls as consecutive only an interval apart (`sample`).
        if (activeTimedOut && !this.retriedLostRead) {
            this.nextPollAt = Math.min(this.nextPollAt, this.now());
            this.retriedLostRead = true;
        } else {
            this.retriedLostRead = false;
        }
        let failover = reads[1];
        let view = reads[2];
        // The active group looks down: read the rest at once, the move may follow. A failover is
        // likely then, so its lease check (the pending move's write) runs alongside those reads.
        if (active === 0 && position !== "failover" && (!failoverRead || view === undefined)) {
            if (onActive && !fenced && this.failoverLikely() && this.leaseValid()) {
                fenced = this.fence(FAILOVER_MOVE, false, active);
            }
            const more = await Promise.all([
                failoverRead
                    ? failover
                    : this.safe("failover health", () => readHealth(calls, config.failoverTargetGroupArn)),
                view ?? this.safe("listener", () => readListener(calls, config.listenerArn, config)),
            ]);
            failover = more[0];
            view = more[1];
            failoverRead = true;
        }
        const listenerRead = view !== undefined;
        if (view) {
            this.listener = view;
            this.listenerReadAt = time;
        }
        if (!this.listener) {
            this.lastReason = "the listener has not been read yet";
            await fenced;
            return;
        }

        const health = { active: active ?? null, failover: failoverRead ? (failover ?? null) : undefined };
        const decision = decide(
            this.state,
            {
                time,
                activeHealthy: health.active,
                failoverHealthy: health.failover,
                weights: this.listener.weights,
                listenerRead,
            },
            config,
        );
        this.state = decision.state;
        this.lastReason = decision.reason;
        if (decision.confirmed) await this.confirmed(decision.confirmed, health);
        await this.moveIfDecided(decision, listenerRead, health, fenced);
        if (decision.notices.length > 0) {
            this.saveNow = true;
            await this.report(decision.notices, health);
        }
    }

    /** Whether a failover would follow from the active group looking down (so its lease check is worth starting early). */
    private failoverLikely(): boolean {
        return (this.state.armed || !this.state.known) && this.state.failoverUnhealthyPolls === 0;
    }

    private async moveIfDecided(
        decision: Decision,
        listenerRead: boolean,
        health: { active: number | null; failover?: number | null },
        fenced: Promise<PendingMove | null> | undefined,
    ): Promise<void> {
        const { config, calls } = this.ctx;
        const move = decision.move;
        const weights = this.listener!.weights;
        if (!move || !weights || samePosition(weights, move.to)) {
            await fenced;
            return;
        }
        let pending = move.kind === "failover" ? fenced : undefined;
        if (fenced && !pending) await fenced;
        let current: ListenerView | undefined = listenerRead ? this.listener! : undefined;
        if (!current) {
            // A failback by timer (or a failover whose listener read failed): ModifyListener needs
            // the listener as it is now.
            pending ??= this.fence(move, false, health.active);
            current = await this.safe("listener", () => readListener(calls, config.listenerArn, config));
            if (!current?.weights || !samePosition(current.weights, weights)) {
                await pending;
                return;
            }
        }
        if (!this.leaseValid()) {
            await pending;
            this.log({
                event: "lease_error",
                listenerArn: config.listenerArn,
                error: "lease not renewed in time: not moving",
            });
            return;
        }
        this.moves.push(await this.execute(move, decision.reason, current, health, false, pending));
    }

    /**
     * Records the move about to be made in the item, on condition that this run holds the lease
     * for LEASE_SAFETY_MS more as DynamoDB has it (a handover or takeover this run has not heard
     * of fails it). Null when it failed: then nothing moves.
     */
    private async fence(move: Move, byOperator: boolean, activeHealthy: number | null): Promise<PendingMove | null> {
        const pending: PendingMove = { kind: move.kind, at: this.now(), byOperator, activeHealthy };
        // One attempt; an unanswered one may land up to LATE_WRITE_MS after it started, so until
        // then a removal of the mark proves nothing (see `carriedOver`).
        const attempt = async (at: number): Promise<void> => {
            try {
                await this.store.markPending(this.ctx.runId, JSON.stringify(pending), at, LEASE_SAFETY_MS);
            } catch (err) {
                if (!isConditionFailure(err) && !wasRejected(err)) this.pendingLateUntil = at + LATE_WRITE_MS;
                throw err;
            }
        };
        try {
            try {
                await attempt(pending.at);
            } catch (err) {
                // No answer (or another error that is no verdict): once more at once, rather than a
                // poll interval later. The same write again: harmless if the first one landed.
                if (isConditionFailure(err) || wasRejected(err) || !this.leaseValid()) throw err;
                this.pendingInTable = true;
                await attempt(this.now());
            }
            this.pendingInTable = true;
            return pending;
        } catch (err) {
            // It may have landed all the same: remove it with the next write.
            if (!wasRejected(err)) this.pendingInTable = true;
            const fenced = isConditionFailure(err);
            if (fenced) {
                this.leaseUntil = -Infinity;
                this.saveNow = true;
            }
            this.log({
                event: "lease_error",
                listenerArn: this.config.listenerArn,
                error: fenced
                    ? `not moving: DynamoDB does not give this run the lease for ${LEASE_SAFETY_MS / 1000} s more`
                    : `not moving: the pending move could not be recorded: ${errorText(err)}`,
            });
            return null;
        }
    }

    /**
     * The lease check and the pending move's record (or `pending`, already started), ModifyListener,
     * the state saved, then the notification and exactly one log line (saying whether it went out).
     */
    private async execute(
        move: Move,
        reason: string,
        view: ListenerView,
        health: { active: number | null; failover?: number | null },
        byOperator: boolean,
        pending?: Promise<PendingMove | null>,
    ): Promise<MoveOutcome & { saved?: boolean }> {
        const { config } = this.ctx;
        const at = this.now();
        const from = view.weights!;
        const base = {
            listenerArn: config.listenerArn,
            from,
            to: move.to,
            reason,
            trigger: byOperator ? "manual" : this.trigger,
            activeHealthy: health.active,
            failoverHealthy: health.failover ?? null,
        };
        const recorded = await (pending ?? this.fence(move, byOperator, health.active));
        if (!recorded) {
            return { kind: move.kind, from, to: move.to, ok: false, at, error: "lease not confirmed", unknown: false };
        }
        this.state = { ...this.state, pending: recorded };
        const details = moveDetails(config.listenerArn, { from, to: move.to, reason, health, byOperator, at });
        try {
            await writeWeights(this.ctx.calls, config.listenerArn, view.defaultActions, config, move.to);
        } catch (err) {
            const error = errorText(err);
            // Refused: it will never land. Otherwise it may have: the pending move says it was ours.
            const unknown = !wasRejected(err);
            if (!unknown) this.state = { ...this.state, pending: null };
            const retry = this.failureNotified;
            this.failureNotified = true;
            const record = {
                event: retry ? "move_retry" : move.kind === "failover" ? "failover_failed" : "failback_failed",
                ...base,
                kind: move.kind,
                error,
                outcome: unknown ? "unknown" : "unchanged",
            } as const;
            if (retry) {
                this.log({ ...record, notified: false });
            } else {
                // The alert goes out while the next poll retries: SNS (up to its 3 s timeout) must
                // not hold up the move. The run waits for it before it ends (`run`).
                this.later(
                    notify(this.ctx, ...moveFailedMessage(config.listenerArn, move, error, details, unknown)).then(
                        (sent) => this.log({ ...record, ...sent }),
                    ),
                );
            }
            return { kind: move.kind, from, to: move.to, ok: false, at, error, unknown };
        }
        this.listener = { weights: move.to, defaultActions: withWeights(view.defaultActions, config, move.to) };
        this.state = afterMove(this.state, move, at, config, { byOperator, activeHealthy: health.active });
        this.saveNow = true;
        // Saved before the notification: the state that says the move was the controller's should
        // not wait on SNS.
        const saved = typeof (await this.renew()) === "object" && this.state.known;
        const delay = holdDownSeconds(config, this.state.holdDownLevel);
        const sent = await notify(
            this.ctx,
            ...moveMessage(config, move, details, {
                byOperator,
                holdDownLevel: this.state.holdDownLevel,
                delaySeconds: delay,
            }),
        );
        this.log({ event: move.kind, ...base, holdDownSeconds: delay, ...sent });
        return { kind: move.kind, from, to: move.to, ok: true, at, saved };
    }

    /** A move started earlier whose reply was lost (or whose maker stopped): the listener shows it was carried out. */
    private async confirmed(
        pending: PendingMove,
        health: { active: number | null; failover?: number | null },
    ): Promise<void> {
        const { config } = this.ctx;
        const move = pending.kind === "failover" ? FAILOVER_MOVE : FAILBACK_MOVE;
        const from = pending.kind === "failover" ? ACTIVE_WEIGHTS : FAILOVER_WEIGHTS;
        this.saveNow = true;
        const reason = `the listener shows the ${move.kind} the controller started at ${new Date(pending.at).toISOString()} (its reply was lost, or the run that made it stopped before recording it)`;
        const details = moveDetails(config.listenerArn, {
            from,
            to: move.to,
            reason,
            health,
            byOperator: pending.byOperator,
            at: pending.at,
        });
        const delay = holdDownSeconds(config, this.state.holdDownLevel);
        const sent = await notify(
            this.ctx,
            ...moveMessage(config, move, details, {
                byOperator: pending.byOperator,
                holdDownLevel: this.state.holdDownLevel,
                delaySeconds: delay,
            }),
        );
        this.log({
            event: move.kind,
            listenerArn: config.listenerArn,
            from,
            to: move.to,
            reason,
            trigger: pending.byOperator ? "manual" : this.trigger,
            confirmedLater: true,
            activeHealthy: health.active,
            failoverHealthy: health.failover ?? null,
            holdDownSeconds: delay,
            ...sent,
        });
    }

    private async report(
        notices: readonly Notice[],
        health: { active: number | null; failover?: number | null },
    ): Promise<void> {
        const { config } = this.ctx;
        for (const notice of notices) {
            const sent = await notify(
                this.ctx,
                `ha-webstack: ${notice.kind.replace(/_/g, " ")} (${loadBalancerName(config.listenerArn)})`,
                [
                    notice.message,
                    `Listener: ${config.listenerArn}`,
                    `Healthy targets: active group ${health.active ?? "unknown"}, failover group ${health.failover === undefined ? "not read" : (health.failover ?? "unknown")}`,
                    `Time: ${new Date(this.now()).toISOString()}`,
                ],
            );
            this.log({
                event: notice.kind,
                listenerArn: config.listenerArn,
                reason: notice.message,
                trigger: this.trigger,
                ...sent,
            });
        }
    }

    /** An operator's request: fresh reads, the guard, the move, and the state saved before `hold: true` is said. */
    async answer(request: RequestRecord): Promise<Record<string, unknown>> {
        const { config, calls } = this.ctx;
        const [active, failover, view] = await Promise.all([
            this.safe("active health", () => readHealth(calls, config.activeTargetGroupArn)),
            this.safe("failover health", () => readHealth(calls, config.failoverTargetGroupArn)),
            this.safe("listener", () => readListener(calls, config.listenerArn, config)),
        ]);
        const health = { active: active ?? null, failover: failover ?? null };
        const base = {
            action: request.action,
            listenerArn: config.listenerArn,
            activeHealthy: health.active,
            failoverHealthy: health.failover,
        };
        const failed = request.action === "failover" ? "failover_failed" : "failback_failed";
        if (!view?.weights) {
            const error = view
                ? "the listener's default action is not a forward to both target groups"
                : "cannot read the listener";
            this.log({ event: failed, listenerArn: config.listenerArn, trigger: "manual", error });
            return { ok: false, ...base, message: error, error };
        }
        this.listener = view;
        this.listenerReadAt = this.now();
        const decision = decideManual(
            this.state,
            request,
            {
                time: this.now(),
                activeHealthy: health.active,
                failoverHealthy: health.failover,
                weights: view.weights,
            },
            config,
        );
        if (decision.refused) {
            this.log({
                event: request.action === "failover" ? "failover_refused" : "failback_refused",
                ...base,
                reason: decision.message,
                trigger: "manual",
            });
            return { ok: false, refused: true, ...base, weights: view.weights, message: decision.message };
        }
        let saved: boolean;
        if (decision.move) {
            if (!this.leaseValid()) {
                return {
                    ok: false,
                    ...base,
                    weights: view.weights,
                    message: "the controller's lease could not be renewed just now; nothing changed: retry",
                    error: "lease",
                };
            }
            const outcome = await this.execute(decision.move, decision.message, view, health, true);
            this.moves.push(outcome);
            if (!outcome.ok) {
                return {
                    ok: false,
                    ...base,
                    weights: view.weights,
                    outcome: outcome.unknown ? "unknown" : "unchanged",
                    message: outcome.unknown
                        ? `${request.action}: outcome unknown (${outcome.error}): the listener may have changed; ` +
                          'invoke {"action":"status"} to see where traffic is'
                        : `${request.action} failed: ${outcome.error}; nothing changed`,
                    error: outcome.error,
                };
            }
            saved = outcome.saved === true;
        } else {
            this.state = decision.state;
            this.saveNow = true;
            saved = typeof (await this.renew()) === "object" && this.state.known;
        }
        const weights = this.listener.weights!;
        return {
            ok: true,
            ...base,
            weights,
            position: positionOf(weights),
            hold: saved && this.state.hold,
            saved,
            message: saved
                ? decision.message
                : `${decision.message}; it could not be saved yet: the controller keeps retrying, and meanwhile treats ` +
                  "traffic it did not move itself as an operator's (a move to the failover group stays held)",
        };
    }
}
