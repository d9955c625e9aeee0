// How libavformat's MP4 muxer learns a track from what FLV carries: codec id, size, sample entry
// tag (HEVC as hvc1), decoder configuration. Shared by MP4 recording and fMP4 HLS, whose modules
// link libavformat (the media library itself does not: these are inline).
#pragma once

#include <algorithm>
#include <cstring>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
}

#include "liveorigin/media/codec_info.hpp"

namespace liveorigin::media {

// AV_CODEC_ID_NONE for codecs MP4 does not carry here.
inline AVCodecID av_codec_id(Codec c) {
  switch (c) {
    case Codec::h264: return AV_CODEC_ID_H264;
    case Codec::hevc: return AV_CODEC_ID_HEVC;
    case Codec::av1: return AV_CODEC_ID_AV1;
    case Codec::vp9: return AV_CODEC_ID_VP9;
    case Codec::aac: return AV_CODEC_ID_AAC;
    case Codec::mp3: return AV_CODEC_ID_MP3;
    case Codec::opus: return AV_CODEC_ID_OPUS;
    case Codec::ac3: return AV_CODEC_ID_AC3;
    case Codec::eac3: return AV_CODEC_ID_EAC3;
    case Codec::flac: return AV_CODEC_ID_FLAC;
    default: return AV_CODEC_ID_NONE;
  }
}

// FLAC (and Opus) in MP4 are still marked experimental in libavformat 5.1: the muxers that may
// carry them say so.
inline void allow_experimental_codecs(AVFormatContext* ctx) { ctx->strict_std_compliance = FF_COMPLIANCE_EXPERIMENTAL; }

inline void set_av_extradata(AVCodecParameters* par, ByteView data) {
  if (data.empty()) return;
  par->extradata = static_cast<std::uint8_t*>(av_mallocz(data.size() + AV_INPUT_BUFFER_PADDING_SIZE));
  if (!par->extradata) return;
  std::memcpy(par->extradata, data.data(), data.size());
  par->extradata_size = static_cast<int>(data.size());
}

// config: the SequenceStart payload (AVC/HEVC record, av1C, vpcC).
inline void set_av_video_params(AVCodecParameters* par, Codec codec, ByteView config, int width, int height) {
  par->codec_type = AVMEDIA_TYPE_VIDEO;
  par->codec_id = av_codec_id(codec);
  par->width = width;
  par->height = height;
  // hvc1: parameter sets only in the sample entry (what Safari and Apple players require).
  if (codec == Codec::hevc) par->codec_tag = MKTAG('h', 'v', 'c', '1');
  if (codec != Codec::vp9) {
    set_av_extradata(par, config);
    return;
  }
  // The muxer writes vpcC from these fields, not from extradata.
  const Vp9Format f = parse_vp9_format(config);
  const bool high = f.bit_depth > 8;
  par->profile = f.profile;
  par->level = f.level;
  par->format = f.chroma_subsampling == 2   ? (high ? AV_PIX_FMT_YUV422P10 : AV_PIX_FMT_YUV422P)
                : f.chroma_subsampling == 3 ? (high ? AV_PIX_FMT_YUV444P10 : AV_PIX_FMT_YUV444P)
                                            : (high ? AV_PIX_FMT_YUV420P10 : AV_PIX_FMT_YUV420P);
}

// config: the SequenceStart payload (AudioSpecificConfig, OpusHead, "fLaC" + STREAMINFO), empty
// for codecs without one.
inline void set_av_audio_params(AVCodecParameters* par, const AudioInfo& info, ByteView config) {
  par->codec_type = AVMEDIA_TYPE_AUDIO;
  par->codec_id = av_codec_id(info.codec);
  par->sample_rate = info.sample_rate;
  av_channel_layout_default(&par->ch_layout, std::max(1, info.channels));
  if (info.codec == Codec::aac) {
    par->frame_size = 1024;
    set_av_extradata(par, config);
  } else if (info.codec == Codec::opus) {
    set_av_extradata(par, config);  // OpusHead: the muxer builds dOps from it
  } else if (info.codec == Codec::flac && config.size() >= 42) {
    set_av_extradata(par, config.subspan(8, 34));  // the bare STREAMINFO after "fLaC" and its block header
    par->frame_size = config[10] << 8 | config[11];  // STREAMINFO's maximum block size
  }
}

}  // namespace liveorigin::media
