using System.Buffers.Binary;
using System.Text;

namespace Tmqtool.Tests.Support;

/// <summary>OTLP's span kinds (opentelemetry/proto/trace/v1/trace.proto, <c>Span.SpanKind</c>).</summary>
internal enum OtlpSpanKind
{
    Unspecified = 0,
    Internal = 1,
    Server = 2,
    Client = 3,
    Producer = 4,
    Consumer = 5,
}

/// <summary>OTLP's status codes (<c>Status.StatusCode</c>).</summary>
internal enum OtlpStatusCode
{
    Unset = 0,
    Ok = 1,
    Error = 2,
}

/// <summary>An event of a span (an exception is one named "exception").</summary>
internal sealed record OtlpEvent(string Name, IReadOnlyDictionary<string, object?> Attributes);

/// <summary>
/// One span of an OTLP export, as much of it as the tests look at. Ids are lower-case hex, the
/// parent empty for a root span; attribute values are string, bool, long or double (other kinds null).
/// </summary>
internal sealed record OtlpSpan(
    string TraceId,
    string SpanId,
    string ParentSpanId,
    string Name,
    OtlpSpanKind Kind,
    ulong StartTimeUnixNano,
    IReadOnlyDictionary<string, object?> Attributes,
    IReadOnlyList<OtlpEvent> Events,
    OtlpStatusCode Status,
    string StatusMessage)
{
    public object? Attribute(string key) => Attributes.GetValueOrDefault(key);

    public override string ToString() =>
        $"{Name} {Kind} span {SpanId} parent {(ParentSpanId.Length == 0 ? "none" : ParentSpanId)} status {Status}"
        + $" {{{string.Join(", ", Attributes.Select(static a => $"{a.Key}={a.Value}"))}}}";

    /// <summary>
    /// The spans of an <c>ExportTraceServiceRequest</c> (opentelemetry/proto/collector/trace/v1):
    /// request{1: ResourceSpans} / ResourceSpans{2: ScopeSpans} / ScopeSpans{2: Span}. Fields it does
    /// not know are skipped, as protobuf requires.
    /// </summary>
    public static List<OtlpSpan> Decode(ReadOnlyMemory<byte> request)
    {
        var spans = new List<OtlpSpan>();
        foreach (var resource in Protobuf.Fields(request, 1))
        {
            foreach (var scope in Protobuf.Fields(resource, 2))
            {
                foreach (var span in Protobuf.Fields(scope, 2))
                {
                    spans.Add(DecodeSpan(span));
                }
            }
        }

        return spans;
    }

    private static OtlpSpan DecodeSpan(ReadOnlyMemory<byte> span)
    {
        string traceId = "", spanId = "", parent = "", name = "", statusMessage = "";
        var kind = OtlpSpanKind.Unspecified;
        var status = OtlpStatusCode.Unset;
        ulong start = 0;
        var attributes = new Dictionary<string, object?>(StringComparer.Ordinal);
        var events = new List<OtlpEvent>();
        var reader = new Protobuf(span);
        while (reader.Next(out var field, out var value))
        {
            switch (field)
            {
                case 1: traceId = Convert.ToHexStringLower(value.Bytes.Span); break;
                case 2: spanId = Convert.ToHexStringLower(value.Bytes.Span); break;
                case 4: parent = Convert.ToHexStringLower(value.Bytes.Span); break;
                case 5: name = value.Text; break;
                case 6: kind = (OtlpSpanKind)value.Number; break;
                case 7: start = value.Number; break;
                case 9: AddAttribute(attributes, value.Bytes); break;
                case 11: events.Add(DecodeEvent(value.Bytes)); break;
                case 15:
                    var statusReader = new Protobuf(value.Bytes);
                    while (statusReader.Next(out var statusField, out var statusValue))
                    {
                        if (statusField == 2)
                        {
                            statusMessage = statusValue.Text;
                        }
                        else if (statusField == 3)
                        {
                            status = (OtlpStatusCode)statusValue.Number;
                        }
                    }

                    break;
            }
        }

        return new OtlpSpan(traceId, spanId, parent, name, kind, start, attributes, events, status, statusMessage);
    }

    /// <summary>Span.Event{2: name, 3: attributes}.</summary>
    private static OtlpEvent DecodeEvent(ReadOnlyMemory<byte> @event)
    {
        var name = "";
        var attributes = new Dictionary<string, object?>(StringComparer.Ordinal);
        var reader = new Protobuf(@event);
        while (reader.Next(out var field, out var value))
        {
            if (field == 2)
            {
                name = value.Text;
            }
            else if (field == 3)
            {
                AddAttribute(attributes, value.Bytes);
            }
        }

        return new OtlpEvent(name, attributes);
    }

    /// <summary>KeyValue{1: key, 2: AnyValue{1: string, 2: bool, 3: int64, 4: double}}.</summary>
    private static void AddAttribute(Dictionary<string, object?> attributes, ReadOnlyMemory<byte> keyValue)
    {
        var key = "";
        object? parsed = null;
        var reader = new Protobuf(keyValue);
        while (reader.Next(out var field, out var value))
        {
            if (field == 1)
            {
                key = value.Text;
            }
            else if (field == 2)
            {
                var any = new Protobuf(value.Bytes);
                while (any.Next(out var kind, out var item))
                {
                    parsed = kind switch
                    {
                        1 => item.Text,
                        2 => item.Number != 0,
                        3 => (long)item.Number,
                        4 => BitConverter.UInt64BitsToDouble(item.Number),
                        _ => null,
                    };
                }
            }
        }

        attributes[key] = parsed;
    }

    /// <summary>A field's value: a number (varint, fixed64, fixed32) or bytes (length-delimited).</summary>
    private readonly record struct Value(ulong Number, ReadOnlyMemory<byte> Bytes)
    {
        public string Text => Encoding.UTF8.GetString(Bytes.Span);
    }

    /// <summary>A reader of protobuf's wire format, field by field.</summary>
    private struct Protobuf(ReadOnlyMemory<byte> data)
    {
        private int _at;

        /// <summary>The values of every occurrence of field <paramref name="number"/> (a repeated message field).</summary>
        public static List<ReadOnlyMemory<byte>> Fields(ReadOnlyMemory<byte> message, int number)
        {
            var found = new List<ReadOnlyMemory<byte>>();
            var reader = new Protobuf(message);
            while (reader.Next(out var field, out var value))
            {
                if (field == number)
                {
                    found.Add(value.Bytes);
                }
            }

            return found;
        }

        /// <summary>The next field; false at the end. Groups (wire types 3 and 4, long deprecated) are refused.</summary>
        public bool Next(out int field, out Value value)
        {
            if (_at >= data.Length)
            {
                field = 0;
                value = default;
                return false;
            }

            var tag = Varint();
            field = (int)(tag >> 3);
            var wireType = (int)(tag & 7);
            switch (wireType)
            {
                case 0:
                    value = new Value(Varint(), default);
                    break;
                case 1:
                    value = new Value(BinaryPrimitives.ReadUInt64LittleEndian(Take(8).Span), default);
                    break;
                case 2:
                    value = new Value(0, Take(checked((int)Varint())));
                    break;
                case 5:
                    value = new Value(BinaryPrimitives.ReadUInt32LittleEndian(Take(4).Span), default);
                    break;
                default:
                    throw new InvalidDataException($"Protobuf wire type {wireType} (field {field}) at byte {_at} is not one OTLP uses.");
            }

            return true;
        }

        private ulong Varint()
        {
            ulong result = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                var b = Take(1).Span[0];
                result |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return result;
                }
            }

            throw new InvalidDataException($"A protobuf varint longer than 10 bytes ends at byte {_at}.");
        }

        private ReadOnlyMemory<byte> Take(int length)
        {
            if (length < 0 || length > data.Length - _at)
            {
                throw new InvalidDataException($"A protobuf field of {length} byte(s) at byte {_at} runs past the end ({data.Length} bytes).");
            }

            var taken = data.Slice(_at, length);
            _at += length;
            return taken;
        }
    }
}
