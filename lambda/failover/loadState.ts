/** The state a run starts from: read from the table, migrated from 0.1's listener tag, or unknown. */
import { DescribeTagsCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { RunContext } from "./context";
import {
    EMPTY_PERSISTED,
    parseLegacyTag,
    parsePending,
    parseSaved,
    stateFrom,
    UNKNOWN_STATE,
    type ControllerState,
} from "./controller";
import { STATE_TAG_KEY } from "./protocol";
import { errorText } from "./runtime";
import type { ControllerItem } from "./store";

/** The state from the item (with the pending move it holds): parsed, migrated from the 0.1 listener tag, or unknown. */
export async function loadState(
    ctx: RunContext,
    item: ControllerItem,
): Promise<{ state: ControllerState; saved: string | null; corrupt: boolean }> {
    const loaded = await loadSaved(ctx, item);
    return { ...loaded, state: { ...loaded.state, pending: parsePending(item.pendingMove) } };
}

async function loadSaved(
    ctx: RunContext,
    item: ControllerItem,
): Promise<{ state: ControllerState; saved: string | null; corrupt: boolean }> {
    if (item.state !== undefined) {
        const parsed = parseSaved(item.state);
        if (parsed) return { state: stateFrom(parsed), saved: item.state, corrupt: false };
        ctx.log({
            event: "state_load_failed",
            listenerArn: ctx.config.listenerArn,
            error: "unreadable state in the table: left as it is",
        });
        return { state: UNKNOWN_STATE, saved: null, corrupt: true };
    }
    // No state yet: a new stack, or one upgraded from 0.1 (its state is in a listener tag).
    try {
        const out = await ctx.calls.elb(new DescribeTagsCommand({ ResourceArns: [ctx.config.listenerArn] }));
        const tags =
            out.TagDescriptions?.find((d) => d.ResourceArn === ctx.config.listenerArn)?.Tags ??
            out.TagDescriptions?.[0]?.Tags ??
            [];
        const legacy = tags.find((t) => t.Key === STATE_TAG_KEY)?.Value;
        const state = legacy ? parseLegacyTag(legacy) : EMPTY_PERSISTED;
        // Not saved yet: the first renewal writes it.
        return { state: stateFrom(state), saved: "", corrupt: false };
    } catch (err) {
        ctx.log({ event: "state_load_failed", listenerArn: ctx.config.listenerArn, error: errorText(err) });
        return { state: UNKNOWN_STATE, saved: null, corrupt: false };
    }
}
