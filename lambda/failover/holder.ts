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
    type ControllerState,
    type Move,
    type Notice,
} from "./controller";
import { readHealth, readListener, withWeights, writeWeights, type ListenerView } from "./elb";
import { loadState } from "./loadState";
import { loadBalancerName, moveDetails, moveFailedMessage, moveMessage, notify } from "./notify";
import { errorText, isConditionFailure, type LogRecord } from "./runtime";
import { ControllerStore, parseRequest, type ControllerItem, type RequestRecord } from "./store";

import {
    HEARTBEAT_MS,
    LEASE_SAFETY_MS,
    STOP_RESERVE_MS,
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
    leaseUntil: number;
}

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
    private listener: ListenerView | null = null;
    private listenerReadAt = -Infinity;
    private lastRenewAt: number;
    private lastHeartbeatAt = -Infinity;
    private saveNow: boolean;
    private nextPollAt: number;
    private failureNotified = false;
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
        this.saveNow = holding.saved === "";
        this.lastRenewAt = ctx.clock.now();
        this.nextPollAt = ctx.clock.now();
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

    /** The loop: renew (answer requests, hand over), poll, decide, move; until handed over, released or lost. */
    async run(startedAt: number): Promise<RunSummary["ended"]> {
        while (true) {
            if (
                this.ctx.remainingMs() < STOP_RESERVE_MS ||
                this.now() - startedAt >= this.config.maxRunSeconds * 1000
            ) {
                await this.release();
                return "released";
            }
            if (this.saveNow || this.now() - this.lastRenewAt >= this.config.renewSeconds * 1000) {
                const item = await this.renew();
                if (item === "lost") return "lease_lost";
                if (item !== "failed") {
                    await this.afterRenewal(item);
                    const request = parseRequest(item.request);
                    if (request) await this.respond(request, await this.answer(request));
                    if (item.successor && item.successor !== this.ctx.runId) {
                        const handed = await this.handOver(item.successor);
                        if (handed === "handed_over") return "handed_over";
                        if (handed === "lost") return "lease_lost";
                        // Kept, but not yet confirmed by a renewal: renew before the next poll.
                        if (this.leaseUntil === -Infinity) continue;
                    }
                }
            }
            await this.poll();
        }
    }

    private stateToWrite(): string | undefined {
        if (!this.state.known) return undefined;
        const json = JSON.stringify(persisted(this.state));
        return json === this.saved ? undefined : json;
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
        const now = this.now();
        const toWrite = this.stateToWrite();
        try {
            const item = await this.store.renew(this.ctx.runId, now, this.config.leaseSeconds * 1000, toWrite);
            this.leaseUntil = now + this.config.leaseSeconds * 1000;
            this.lastRenewAt = now;
            if (toWrite !== undefined) this.saved = toWrite;
            this.saveNow = false;
            return item;
        } catch (err) {
            if (isConditionFailure(err)) {
                this.leaseUntil = -Infinity;
                this.log({ event: "lease_lost", listenerArn: this.config.listenerArn, runId: this.ctx.runId });
                return "lost";
            }
            this.lastRenewAt = now;
            this.log({
                event: toWrite !== undefined ? "state_save_failed" : "lease_error",
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
     * the item names another holder, "kept" otherwise (then the next renewal confirms it).
     */
    private async handOver(successor: string): Promise<"handed_over" | "lost" | "kept"> {
        try {
            await this.store.handOver(
                this.ctx.runId,
                successor,
                this.now(),
                this.config.leaseSeconds * 1000,
                this.stateToWrite(),
            );
            return "handed_over";
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
        if (item.holder === successor) return "handed_over";
        this.log({ event: "lease_lost", listenerArn: this.config.listenerArn, runId: this.ctx.runId });
        return "lost";
    }

    async release(): Promise<void> {
        try {
            await this.store.release(this.ctx.runId, this.now(), this.stateToWrite());
        } catch (err) {
            this.log({ event: "lease_error", listenerArn: this.config.listenerArn, error: errorText(err) });
        }
    }

    private async respond(request: RequestRecord, result: Record<string, unknown>): Promise<void> {
        try {
            await this.store.respond(this.ctx.runId, { id: request.id, result });
        } catch (err) {
            this.log({ event: "lease_error", listenerArn: this.config.listenerArn, error: errorText(err) });
        }
    }

    /** One poll: read what the position calls for, decide, report, move. */
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
        const periodic = this.listener === null || time - this.listenerReadAt >= config.standbyCheckSeconds * 1000;
        let failoverRead = !onActive || periodic;
        const reads = await Promise.all([
            this.safe("active health", () => readHealth(calls, config.activeTargetGroupArn)),
            failoverRead
                ? this.safe("failover health", () => readHealth(calls, config.failoverTargetGroupArn))
                : undefined,
            periodic ? this.safe("listener", () => readListener(calls, config.listenerArn, config)) : undefined,
        ]);
        const active = reads[0];
        let failover = reads[1];
        let view = reads[2];
        // The active group looks down: read the rest at once, the move may follow.
        if (active === 0 && position !== "failover" && (!failoverRead || view === undefined)) {
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
        if (decision.notices.length > 0) {
            this.saveNow = true;
            await this.report(decision.notices, health);
        }
        const move = decision.move;
        const weights = this.listener.weights;
        if (!move || !weights || samePosition(weights, move.to)) return;

        let current: ListenerView | undefined = listenerRead ? this.listener : undefined;
        if (!current) {
            // A failback by timer: ModifyListener needs the listener as it is now.
            current = await this.safe("listener", () => readListener(calls, config.listenerArn, config));
            if (!current?.weights || !samePosition(current.weights, weights)) return;
        }
        if (!this.leaseValid()) {
            this.log({
                event: "lease_error",
                listenerArn: config.listenerArn,
                error: "lease not renewed in time: not moving",
            });
            return;
        }
        this.moves.push(await this.execute(move, decision.reason, current, health, false));
    }

    /** ModifyListener, then the notification and exactly one log line (saying whether it went out). */
    private async execute(
        move: Move,
        reason: string,
        view: ListenerView,
        health: { active: number | null; failover?: number | null },
        byOperator: boolean,
    ): Promise<MoveOutcome> {
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
        const details = moveDetails(config.listenerArn, { from, to: move.to, reason, health, byOperator, at });
        try {
            await writeWeights(this.ctx.calls, config.listenerArn, view.defaultActions, config, move.to);
        } catch (err) {
            const error = errorText(err);
            const sent = this.failureNotified
                ? { notified: false }
                : await notify(this.ctx, ...moveFailedMessage(config.listenerArn, move, error, details));
            this.failureNotified = true;
            this.log({
                event: move.kind === "failover" ? "failover_failed" : "failback_failed",
                ...base,
                error,
                ...sent,
            });
            return { kind: move.kind, from, to: move.to, ok: false, at, error };
        }
        this.listener = { weights: move.to, defaultActions: withWeights(view.defaultActions, config, move.to) };
        this.state = afterMove(this.state, move, at, config, { byOperator, activeHealthy: health.active });
        this.saveNow = true;
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
        return { kind: move.kind, from, to: move.to, ok: true, at };
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
                    message: `${request.action} failed: ${outcome.error}`,
                    error: outcome.error,
                };
            }
        } else {
            this.state = decision.state;
            this.saveNow = true;
        }
        const renewed = await this.renew();
        const saved = renewed !== "lost" && renewed !== "failed" && this.state.known;
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
