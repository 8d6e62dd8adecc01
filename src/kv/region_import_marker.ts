/**
 * The region-local record that says a region's data is not a whole image
 * (docs/formats.md#region-local-keyspace, docs/regions.md "Region snapshots"):
 *
 *   0x10 regionId:u64be 0x00 "snapshot"  →  u8 layout (1) · u8 state · descriptor
 *
 * State 1 (`applying`): a region snapshot is being imported (region_snapshot_import.ts); its
 * ranges may hold a mix of old and new records. State 2 (`awaiting`): the replica is
 * uninitialized, its ranges empty, waiting for a snapshot. The descriptor is the incoming one:
 * what the region's ranges are while the import runs, so an open after a crash clears exactly
 * those. The record is absent for an initialized region.
 */
import type { RegionDescriptor } from "../region/descriptor.ts";
import { concatBytes, utf8 } from "../util/bytes.ts";
import { DecodeError } from "../util/coding.ts";
import { decodeDescriptor, encodeDescriptor } from "./region_descriptor_record.ts";
import { regionKeys, RegionKind } from "./region_keys.ts";
import type { EngineReader } from "./write_set.ts";

const LAYOUT = 0x01;
const SUFFIX = concatBytes([new Uint8Array([RegionKind.Meta]), utf8("snapshot")]);

/** Written to disk: never renumber. */
export const ImportState = { Applying: 1, Awaiting: 2 } as const;
export type ImportStateName = "applying" | "awaiting";

export interface ImportMarker {
  readonly state: ImportStateName;
  readonly descriptor: RegionDescriptor;
}

export function importMarkerKey(regionId: number): Uint8Array {
  return regionKeys(regionId).local(SUFFIX);
}

export function encodeImportMarker(m: ImportMarker): Uint8Array {
  const state = m.state === "applying" ? ImportState.Applying : ImportState.Awaiting;
  return concatBytes([new Uint8Array([LAYOUT, state]), encodeDescriptor(m.descriptor)]);
}

/** Decodes a marker; throws DecodeError when it is malformed. */
export function decodeImportMarker(value: Uint8Array): ImportMarker {
  if (value.length < 2 || value[0] !== LAYOUT) {
    throw new DecodeError("unknown region snapshot marker layout", 0);
  }
  const s = value[1];
  if (s !== ImportState.Applying && s !== ImportState.Awaiting) {
    throw new DecodeError(`region snapshot marker state ${s}`, 1);
  }
  const descriptor = decodeDescriptor(value.subarray(2));
  return { state: s === ImportState.Applying ? "applying" : "awaiting", descriptor };
}

/** Region `id`'s marker on this engine, if it has one. */
export function readImportMarker(db: EngineReader, id: number): ImportMarker | undefined {
  const value = db.get(importMarkerKey(id));
  return value === undefined ? undefined : decodeImportMarker(value);
}
