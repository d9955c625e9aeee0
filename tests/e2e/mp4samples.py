"""Reads the tracks of a plain (not fragmented) MP4 file as ffmpeg writes it: each track's sample
entry type, its codec configuration box (hvcC, av1C, vpcC, dOps, esds) and its samples with decode
time, composition offset and key-frame flag. Only what the enhanced RTMP publisher needs."""
import struct


def boxes(data, start=0, end=None):
    """Yield (type, payload start, payload end) for the boxes in data[start:end]."""
    end = len(data) if end is None else end
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        header = 8
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8:pos + 16])[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise ValueError(f"bad box {kind!r} at {pos}")
        yield kind.decode("latin-1"), pos + header, pos + size
        pos += size


def child(data, start, end, kind):
    for k, s, e in boxes(data, start, end):
        if k == kind:
            return s, e
    raise KeyError(kind)


def path(data, start, end, *kinds):
    for kind in kinds:
        start, end = child(data, start, end, kind)
    return start, end


def full_box_entries(data, start):
    """(entry count, first entry offset) of a full box with a 32-bit entry count."""
    return struct.unpack(">I", data[start + 4:start + 8])[0], start + 8


class Track:
    def __init__(self):
        self.handler = ""         # "vide" / "soun"
        self.sample_entry = ""    # "hvc1", "av01", "vp09", "Opus", "mp4a"...
        self.config_box = ""      # "hvcC", "av1C", "vpcC", "dOps", "esds"
        self.config = b""         # the configuration box payload
        self.timescale = 1
        self.samples = []         # [(dts ms, cts offset ms, key, bytes)]


# Children of a visual sample entry start after 78 bytes of fixed fields, of an audio one after 28.
_ENTRY_FIELDS = {"vide": 78, "soun": 28}
_CONFIG_BOXES = ("hvcC", "avcC", "av1C", "vpcC", "dOps", "esds", "dfLa", "dac3", "dec3")


def _read_stbl(data, s, e, track):
    stsd_s, stsd_e = child(data, s, e, "stsd")
    _, entry_s = full_box_entries(data, stsd_s)
    kind, es, ee = next(boxes(data, entry_s, stsd_e))
    track.sample_entry = kind
    for ck, cs, ce in boxes(data, es + _ENTRY_FIELDS[track.handler], ee):
        if ck in _CONFIG_BOXES:
            track.config_box, track.config = ck, data[cs:ce]

    def table(kind, fields):
        try:
            bs, _ = child(data, s, e, kind)
        except KeyError:
            return None
        n, pos = full_box_entries(data, bs)
        size = struct.calcsize(fields)
        return [struct.unpack(fields, data[pos + i * size:pos + (i + 1) * size]) for i in range(n)]

    durations = [d for count, d in table("stts", ">II") for _ in range(count)]
    ctts = table("ctts", ">Ii")
    offsets = [o for count, o in ctts for _ in range(count)] if ctts else [0] * len(durations)
    sync = table("stss", ">I")
    keys = {n for (n,) in sync} if sync is not None else None
    stsz_s, _ = child(data, s, e, "stsz")
    fixed, count = struct.unpack(">II", data[stsz_s + 4:stsz_s + 12])
    sizes = [fixed] * count if fixed else list(struct.unpack(f">{count}I", data[stsz_s + 12:stsz_s + 12 + 4 * count]))
    chunk_offsets = [o for (o,) in (table("stco", ">I") or table("co64", ">Q"))]
    stsc = table("stsc", ">III")

    # Expand the sample-to-chunk runs into each sample's file offset.
    positions = []
    for i, (first, per_chunk, _) in enumerate(stsc):
        last = stsc[i + 1][0] - 1 if i + 1 < len(stsc) else len(chunk_offsets)
        for chunk in range(first, last + 1):
            pos = chunk_offsets[chunk - 1]
            for _ in range(per_chunk):
                if len(positions) == count:
                    break
                positions.append(pos)
                pos += sizes[len(positions) - 1]
    dts = 0
    for i in range(count):
        ms = dts * 1000 // track.timescale
        cts = (dts + offsets[i]) * 1000 // track.timescale - ms
        key = keys is None or (i + 1) in keys
        track.samples.append((ms, cts, key, data[positions[i]:positions[i] + sizes[i]]))
        dts += durations[i]


def read_tracks(filename):
    with open(filename, "rb") as f:
        data = f.read()
    moov_s, moov_e = child(data, 0, len(data), "moov")
    tracks = []
    for kind, s, e in boxes(data, moov_s, moov_e):
        if kind != "trak":
            continue
        track = Track()
        mdia_s, mdia_e = child(data, s, e, "mdia")
        mdhd_s, _ = child(data, mdia_s, mdia_e, "mdhd")
        version = data[mdhd_s]
        track.timescale = struct.unpack(">I", data[mdhd_s + (20 if version == 1 else 12):][:4])[0]
        hdlr_s, _ = child(data, mdia_s, mdia_e, "hdlr")
        track.handler = data[hdlr_s + 8:hdlr_s + 12].decode("latin-1")
        if track.handler not in _ENTRY_FIELDS:
            continue
        _read_stbl(data, *path(data, mdia_s, mdia_e, "minf", "stbl"), track)
        tracks.append(track)
    return tracks


def opus_head(dops):
    """RFC 7845 OpusHead (what enhanced RTMP's Opus SequenceStart carries) from an MP4 dOps box:
    the same fields, little-endian, behind the magic signature."""
    version, channels, pre_skip, rate, gain, family = struct.unpack(">BBHIhB", dops[:11])
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, channels, pre_skip, rate, gain, family)
    return head + dops[11:]  # the channel mapping table, when family != 0, is laid out alike


def esds_audio_specific_config(esds):
    """The AudioSpecificConfig (DecoderSpecificInfo, tag 5) inside an MP4 esds box's descriptors."""
    pos = 4  # version and flags
    while pos < len(esds):
        tag = esds[pos]
        pos += 1
        size = 0
        while True:  # expandable size: 7 bits a byte
            b = esds[pos]
            pos += 1
            size = size << 7 | (b & 0x7F)
            if not b & 0x80:
                break
        if tag == 3:    # ES_Descriptor: ES_ID, flags, then its children
            flags = esds[pos + 2]
            pos += 3 + (2 if flags & 0x80 else 0) + (1 + esds[pos + 3] if flags & 0x40 else 0) \
                + (2 if flags & 0x20 else 0)
        elif tag == 4:  # DecoderConfigDescriptor: 13 bytes of fields, then its children
            pos += 13
        elif tag == 5:
            return esds[pos:pos + size]
        else:
            pos += size
    raise ValueError("esds without a DecoderSpecificInfo")
