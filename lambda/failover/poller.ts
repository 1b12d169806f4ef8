/**
 * The poller: one run of the controller. It takes the lease (or waits as the running poller's
 * successor until it is handed over), then polls the target groups every `pollIntervalSeconds`
 * (0.8 s), hands each observation to `decide()`, carries out its moves, keeps the lease and the
 * state, answers operators' requests, and hands the lease to the next run once one is waiting
 * (right after a poll that found the active group healthy). Runs relay each other without a gap;
 * at most one of them moves traffic at a time.
 *
 * Reads stay polite (the Describe* calls share one account-wide budget): while traffic is on the
 * active group, only its health every poll, and the failover group and the listener every
 * `standbyCheckSeconds` or as soon as the active group shows no healthy target; elsewhere, both
 * groups every other poll interval.
 */
import { type ControllerItem, ControllerStore, type RequestRecord } from "./store";
import { isConditionFailure, errorText } from "./runtime";
import { LeaseHolder, type Acknowledgement, type Holding } from "./holder";
import { loadState } from "./loadState";
import {
    stopReserveMs,
    SUCCESSOR_FAST_POLL_MS,
    SUCCESSOR_FAST_WINDOW_MS,
    SUCCESSOR_POLL_MS,
    successorFirstFastMs,
    SUCCESSOR_STALE_MS,
    type RunContext,
    type RunSummary,
    type Trigger,
} from "./context";

export * from "./context";

/**
 * A lease this run holds: the item as it was before (its state, who held it), whether it was
 * taken over from a run whose lease had lapsed, and when it ends as DynamoDB has it (the expiry
 * the acquire wrote, or the one the handover wrote and this run read: never counted from when
 * the reply came back, which may be seconds later).
 */
export interface Lease {
    readonly item: ControllerItem;
    readonly expired: boolean;
    readonly expiresAt: number;
    /** Handed over by the last holder, which watches for this run's acknowledgement (see `acknowledgeHandover`). */
    readonly handed?: boolean;
}

/**
 * The acquire write; throws as `store.acquire` does. The lease counts as taken over from an
 * expired holder (fenced: the failback clock restarts) whenever the item named a holder before:
 * another run whose lease lapsed, or this run itself, when an earlier attempt that timed out had
 * landed after all. Then the item returned is the one that attempt left, and who held the lease
 * before it is unknown: it may have been a run that died with an unhealthy poll unsaved.
 */
async function acquire(ctx: RunContext, store: ControllerStore): Promise<Lease> {
    const now = ctx.clock.now();
    const leaseMs = ctx.config.leaseSeconds * 1000;
    const old = await store.acquire(ctx.runId, now, leaseMs);
    return { item: old, expired: old.holder !== undefined, expiresAt: now + leaseMs };
}

/**
 * Waits as the successor until the holder hands over, or its lease lapses (then takes it). Returns
 * the item and how the lease came, or null when this run is not needed (another waits already,
 * or time ran out).
 */
async function waitAsSuccessor(ctx: RunContext, store: ControllerStore): Promise<Lease | null> {
    const { clock } = ctx;
    const leaseMs = ctx.config.leaseSeconds * 1000;
    // Read the item fast while a handover is likely soon, so that the successor's first poll
    // comes soon after it (the reads before and after cost less at the slow pace): right after
    // the mark (the holder peeks at the item with its polls), and once the lease's expiry
    // changes (the holder renewed, and so read the mark: a renewal returns the item).
    let markedExpiry: number | undefined;
    let fastUntil = -Infinity;
    // Whether the mark is known to be in the item. After a failed registration it is not: the
    // write may still land (a timeout, a lost reply), so a read that shows no successor proves
    // nothing. Leaving then would let a late mark name a run that is gone, and the holder would
    // hand it the lease: register again instead, until a reply or a read settles it.
    let marked = false;
    const register = async (): Promise<"marked" | "taken" | "unknown"> => {
        try {
            markedExpiry = (await store.registerSuccessor(ctx.runId, clock.now(), SUCCESSOR_STALE_MS)).expiresAt;
            marked = true;
            fastUntil = Math.max(fastUntil, clock.now() + successorFirstFastMs(ctx.config));
            return "marked";
        } catch (err) {
            if (isConditionFailure(err)) return "taken";
            ctx.log({ event: "lease_error", listenerArn: ctx.config.listenerArn, error: errorText(err) });
            return "unknown";
        }
    };
    if ((await register()) === "taken") return null;
    while (ctx.remainingMs() > stopReserveMs(ctx.config) + 2 * leaseMs) {
        await clock.sleep(clock.now() < fastUntil ? SUCCESSOR_FAST_POLL_MS : SUCCESSOR_POLL_MS);
        let item: ControllerItem;
        try {
            item = await store.read();
        } catch (err) {
            ctx.log({ event: "lease_error", listenerArn: ctx.config.listenerArn, error: errorText(err) });
            continue;
        }
        if (markedExpiry === undefined) markedExpiry = item.expiresAt;
        else if (item.expiresAt !== markedExpiry) {
            markedExpiry = item.expiresAt;
            fastUntil = clock.now() + SUCCESSOR_FAST_WINDOW_MS;
        }
        // Handed over: the lease ends when the handover wrote (no expiry read: renew before moving).
        if (item.holder === ctx.runId)
            return { item, expired: false, expiresAt: item.expiresAt ?? -Infinity, handed: true };
        if (item.holder === undefined || (item.expiresAt ?? 0) < clock.now()) {
            try {
                const lease = await acquire(ctx, store);
                await store.clearSuccessor(ctx.runId).catch(() => undefined);
                return lease;
            } catch (err) {
                if (!isConditionFailure(err))
                    ctx.log({ event: "lease_error", listenerArn: ctx.config.listenerArn, error: errorText(err) });
                continue;
            }
        }
        if (item.successor === ctx.runId) marked = true;
        else if (item.successor !== undefined || marked) return null;
        // No successor named, and this run's mark may yet land: make sure it is there. Refused,
        // the next read says why (another successor, or a handover to this run since this read).
        else await register();
    }
    return giveUpWaiting(ctx, store);
}

/**
 * Gives up waiting. A handover that landed since the last read removed this run's mark (so
 * clearing it fails): then this run holds the lease and must not leave it orphaned.
 */
async function giveUpWaiting(ctx: RunContext, store: ControllerStore): Promise<Lease | null> {
    let failure: unknown;
    try {
        await store.clearSuccessor(ctx.runId);
        return null;
    } catch (err) {
        failure = err;
    }
    try {
        const item = await store.read();
        if (item.holder === ctx.runId)
            return { item, expired: false, expiresAt: item.expiresAt ?? -Infinity, handed: true };
    } catch (err) {
        ctx.log({ event: "lease_error", listenerArn: ctx.config.listenerArn, error: errorText(err) });
    }
    // Not handed over. If the mark may still be there, one more try: a holder would hand over to a run that is gone.
    if (!isConditionFailure(failure)) await store.clearSuccessor(ctx.runId).catch(() => undefined);
    return null;
}

/**
 * A handed-over run's first write: a renewal that carries nothing, made as soon as it read the
 * handover (it runs alongside the state's load and the first poll; the loop's own renewals wait
 * for it), so the old holder, which watches for it (`HANDOVER_CONFIRM_MS`), never takes the lease
 * back from a live run. Tried once more at once when the first got no answer (a condition failure
 * is a verdict: the old holder took the lease back). Nothing carried, it cannot race the holder's
 * own writes of the state or of a pending move.
 */
export async function acknowledgeHandover(
    ctx: RunContext,
    store: Pick<ControllerStore, "renew">,
    handedExpiry: number,
): Promise<Acknowledgement> {
    const leaseMs = ctx.config.leaseSeconds * 1000;
    for (let attempt = 0; attempt < 2; attempt++) {
        // The old holder sees the acknowledgement by the expiry changing: never write the one the
        // handover wrote (this run's clock may be behind the old holder's by just the time since).
        const now = ctx.clock.now();
        const at = now + leaseMs === handedExpiry ? now + 1 : now;
        try {
            await store.renew(ctx.runId, at, leaseMs);
            return { at, expiresAt: at + leaseMs };
        } catch (err) {
            if (isConditionFailure(err)) return "lost";
            ctx.log({
                event: "lease_error",
                listenerArn: ctx.config.listenerArn,
                error: `handover not acknowledged: ${errorText(err)}`,
            });
        }
    }
    return "unknown";
}

/** Takes the lease now, or waits for it; null when this run is not needed or cannot get it. */
export async function obtainLease(ctx: RunContext, store: ControllerStore): Promise<Lease | "covered" | null> {
    for (let attempt = 0; attempt < 3; attempt++) {
        try {
            return await acquire(ctx, store);
        } catch (err) {
            if (isConditionFailure(err)) {
                const waited = await waitAsSuccessor(ctx, store);
                return waited ?? "covered";
            }
            ctx.log({ event: "lease_error", listenerArn: ctx.config.listenerArn, error: errorText(err) });
            await ctx.clock.sleep(1_000);
        }
    }
    return null;
}

/** Takes the lease if it is free or expired, without waiting; null otherwise. */
export async function obtainLeaseNow(ctx: RunContext, store: ControllerStore): Promise<Lease | null> {
    try {
        return await acquire(ctx, store);
    } catch (err) {
        if (!isConditionFailure(err)) {
            ctx.log({ event: "lease_error", listenerArn: ctx.config.listenerArn, error: errorText(err) });
        }
        return null;
    }
}

/** Starts holding: the state from the item, the failback clock distrusted after an unclean takeover. */
export async function startHolding(
    ctx: RunContext,
    lease: Lease,
    acknowledgement?: Promise<Acknowledgement>,
): Promise<Holding> {
    const loaded = await loadState(ctx, lease.item);
    let state = loaded.state;
    // The last holder's lease lapsed: it may have seen an unhealthy poll it never saved.
    if (lease.expired && state.known) state = { ...state, activeHealthySince: null };
    ctx.log({
        event: "lease_acquired",
        listenerArn: ctx.config.listenerArn,
        runId: ctx.runId,
        takeover: lease.expired ? "expired" : "clean",
        stateKnown: state.known,
    });
    return {
        state,
        saved: loaded.saved,
        corrupt: loaded.corrupt,
        leaseUntil: lease.expiresAt,
        pendingInTable: lease.item.pendingMove !== undefined,
        handed: lease.handed === true,
        acknowledgement,
    };
}

/** One scheduled (or alarm-started) run. Never throws. */
export async function runPoller(ctx: RunContext, trigger: Trigger): Promise<RunSummary> {
    const startedAt = ctx.clock.now();
    const store = new ControllerStore(ctx.calls, ctx.config.tableName);
    const lease = await obtainLease(ctx, store);
    if (lease === "covered" || lease === null) {
        const ended = lease === "covered" ? "already_covered" : "not_holder";
        ctx.log({
            event: "run_complete",
            listenerArn: ctx.config.listenerArn,
            trigger,
            ended,
            polls: 0,
            pollErrors: 0,
            moves: 0,
            lastReason: null,
        });
        return { ok: lease === "covered", trigger, ended, polls: 0, pollErrors: 0, moves: [], lastReason: null };
    }
    const acknowledgement = lease.handed ? acknowledgeHandover(ctx, store, lease.expiresAt) : undefined;
    const holder = new LeaseHolder(ctx, store, await startHolding(ctx, lease, acknowledgement), trigger);
    const ended = await holder.run(startedAt);
    const { polls, pollErrors, moves, lastReason } = holder;
    ctx.log({
        event: "run_complete",
        listenerArn: ctx.config.listenerArn,
        trigger,
        ended,
        polls,
        pollErrors,
        moves: moves.length,
        lastReason,
    });
    return { ok: ended !== "lease_lost", trigger, ended, polls, pollErrors, moves, lastReason };
}

/**
 * An operator's request answered by a run that took the (free) lease only for it, then let it go.
 * Null when it could not take its own request out of the item (then its outcome is for the
 * caller to find out: a holder may have taken it).
 */
export async function answerAsHolder(
    ctx: RunContext,
    store: ControllerStore,
    request: RequestRecord,
    lease: Lease,
): Promise<Record<string, unknown> | null> {
    const holder = new LeaseHolder(ctx, store, await startHolding(ctx, lease), "manual");
    const result = (await holder.claim(request)) ? await holder.answer(request) : null;
    await holder.release();
    await holder.settle();
    return result;
}
