/** The two moves, and the state once one has been carried out. */
import {
    ACTIVE_WEIGHTS,
    FAILOVER_WEIGHTS,
    FLAP_WINDOW_MS,
    NO_COUNTERS,
    positionOf,
    type ControllerSettings,
    type ControllerState,
    type Weights,
} from "./state";

export type MoveKind = "failover" | "failback";

export interface Move {
    readonly kind: MoveKind;
    readonly to: Weights;
}

export const FAILOVER_MOVE: Move = { kind: "failover", to: FAILOVER_WEIGHTS };
export const FAILBACK_MOVE: Move = { kind: "failback", to: ACTIVE_WEIGHTS };

/**
 * State once a move has been carried out (ModifyListener succeeded): where traffic is now, the
 * counters restarted, and for a failover, the next failback delay (it doubles when the active
 * group failed again within an hour of the last failback).
 */
export function afterMove(
    state: ControllerState,
    m: Move,
    time: number,
    settings: ControllerSettings,
    options: { byOperator?: boolean; activeHealthy?: number | null } = {},
): ControllerState {
    const flapping = state.lastFailbackAt !== null && time - state.lastFailbackAt < FLAP_WINDOW_MS;
    const base: ControllerState = {
        ...state,
        ...NO_COUNTERS,
        lastPosition: positionOf(m.to),
        activeHealthySince: null,
        reported: null,
    };
    if (m.kind === "failover") {
        return {
            ...base,
            hold: options.byOperator === true,
            holdDownLevel: options.byOperator
                ? state.holdDownLevel
                : flapping
                  ? Math.min(state.holdDownLevel + 1, settings.maxHoldDownLevel)
                  : 0,
        };
    }
    // A failback by an operator onto a group with no healthy target: no failover straight back.
    const unhealthy = options.activeHealthy === null || (options.activeHealthy ?? 1) < 1;
    return {
        ...base,
        hold: false,
        armed: options.byOperator && unhealthy ? false : state.armed || !options.byOperator,
        lastFailbackAt: time,
    };
}
