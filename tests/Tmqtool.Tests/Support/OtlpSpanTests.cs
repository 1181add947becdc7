using System.Buffers.Binary;
using System.Text;

namespace Tmqtool.Tests.Support;

public sealed class OtlpSpanTests
{
    /// <summary>
    /// One export of OpenTelemetry.Exporter.OpenTelemetryProtocol 1.20.1 (the version generated services
    /// use) over http/protobuf: a "process orders" consumer span under a remote parent, with attributes
    /// of each kind, an error status and an exception event, and its child "send orders.dlq" producer
    /// span. The exporter pads lengths to fixed-width varints (0x80 0x80 0x80 0x00), which a decoder must read.
    /// </summary>
    private const string ExporterOutput =
        "CtqFgAAK1YGAAAomCgxzZXJ2aWNlLm5hbWUSFgoUc2hvcC5vcmRlcnMuY29uc3VtZXIKPQoTc2VydmljZS5pbnN0YW5jZS5pZBIm"
        + "CiRiZTE0YjVmYS04ZDhmLTQyYTYtYjgxNS1jNzZjNWE5M2QyZWYKJQoSdGVsZW1ldHJ5LnNkay5uYW1lEg8KDW9wZW50ZWxlbWV0"
        + "cnkKIgoWdGVsZW1ldHJ5LnNkay5sYW5ndWFnZRIICgZkb3RuZXQKIQoVdGVsZW1ldHJ5LnNkay52ZXJzaW9uEggKBjEuMjAuMRLS"
        + "g4AACoeAgAAKA1RtcRIAEvEAChAK92UZFs1D3YRI6yEcgDGcEggQOON3c/qURiIIz/WUPhGRGS6FAQEBAAAqD3NlbmQgb3JkZXJz"
        + "LmRscTAEOQjy7HfSIO8YQUiO7XfSIO8YSh4KGHRtcS5kZWFkX2xldHRlci5hdHRlbXB0cxICGAMSzwIKEAr3ZRkWzUPdhEjrIRyA"
        + "MZwSCM/1lD4RkRkuIgi3rWtxaSAzMYUBAQMAACoOcHJvY2VzcyBvcmRlcnMwBTmsNMp30iDvGEHQxPx30iDvGEobChBtZXNzYWdp"
        + "bmcuc3lzdGVtEgcKBWthZmthSigKIm1lc3NhZ2luZy5tZXNzYWdlLmRlbGl2ZXJ5X2F0dGVtcHQSAhgDSg4KCHRtcS5mbGFnEgIQ"
        + "AUoWCgl0bXEucmF0aW8SCSEAAAAAAADgP1rnABIJZXhjZXB0aW9uCVxB6nfSIO8YGjQKDmV4Y2VwdGlvbi50eXBlEiIKIFN5c3Rl"
        + "bS5JbnZhbGlkT3BlcmF0aW9uRXhjZXB0aW9uGhsKEWV4Y2VwdGlvbi5tZXNzYWdlEgYKBGJvb216JBIgU3lzdGVtLkludmFsaWRP"
        + "cGVyYXRpb25FeGNlcHRpb24YAhonaHR0cHM6Ly9vcGVudGVsZW1ldHJ5LmlvL3NjaGVtYXMvMS40NC4w";

    [Fact]
    public void Decode_ExportOfTheOpenTelemetryExporter_GivesEachSpanWithItsFields()
    {
        var spans = OtlpSpan.Decode(Convert.FromBase64String(ExporterOutput));

        Assert.Equal(2, spans.Count);
        var process = Assert.Single(spans, s => s.Kind == OtlpSpanKind.Consumer);
        Assert.Equal("process orders", process.Name);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", process.TraceId);
        Assert.Equal("b7ad6b7169203331", process.ParentSpanId);
        Assert.Equal(16, process.SpanId.Length);
        Assert.Equal("kafka", process.Attribute("messaging.system"));
        Assert.Equal(3L, process.Attribute("messaging.message.delivery_attempt"));
        Assert.Equal(true, process.Attribute("tmq.flag"));
        Assert.Equal(0.5, process.Attribute("tmq.ratio"));
        Assert.Equal(OtlpStatusCode.Error, process.Status);
        Assert.Equal("System.InvalidOperationException", process.StatusMessage);
        var exception = Assert.Single(process.Events);
        Assert.Equal("exception", exception.Name);
        Assert.Equal("boom", exception.Attributes["exception.message"]);
        Assert.True(process.StartTimeUnixNano > 1_700_000_000_000_000_000UL, $"start {process.StartTimeUnixNano} is not a time of this decade in Unix nanoseconds");

        var send = Assert.Single(spans, s => s.Kind == OtlpSpanKind.Producer);
        Assert.Equal(("send orders.dlq", process.TraceId, process.SpanId), (send.Name, send.TraceId, send.ParentSpanId));
        Assert.Equal(3L, send.Attribute("tmq.dead_letter.attempts"));
        Assert.Equal(OtlpStatusCode.Unset, send.Status);
        Assert.Empty(send.Events);
    }

    [Fact]
    public void Decode_FieldsItDoesNotKnow_AreSkippedWhateverTheirWireType()
    {
        var span = Concat(
            Bytes(1, new byte[16]),
            Varint(3, 42),
            Bytes(5, Encoding.UTF8.GetBytes("root")),
            Fixed32(16, 0x0101),
            Fixed64(8, 7),
            Varint(99, ulong.MaxValue),
            Bytes(9, Concat(Bytes(1, Encoding.UTF8.GetBytes("list")), Bytes(2, Bytes(5, [1, 2, 3])))));
        var request = Bytes(1, Concat(Bytes(1, [0x0A, 0x00]), Bytes(2, Concat(Bytes(1, []), Bytes(2, span))), Bytes(3, Encoding.UTF8.GetBytes("schema"))));

        var decoded = Assert.Single(OtlpSpan.Decode(request));

        Assert.Equal(("root", OtlpSpanKind.Unspecified, "", OtlpStatusCode.Unset), (decoded.Name, decoded.Kind, decoded.ParentSpanId, decoded.Status));
        Assert.Equal(new string('0', 32), decoded.TraceId);
        Assert.True(decoded.Attributes.ContainsKey("list"));
        Assert.Null(decoded.Attribute("list"));
    }

    [Fact]
    public void Decode_FieldRunningPastTheEnd_ThrowsInvalidData()
    {
        var whole = Convert.FromBase64String(ExporterOutput);

        var error = Assert.Throws<InvalidDataException>(() => OtlpSpan.Decode(whole.AsMemory(0, whole.Length - 40)));

        Assert.Contains("runs past the end", error.Message, StringComparison.Ordinal);
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(static p => p)];

    private static byte[] Bytes(int field, byte[] value) => Concat(Tag(field, 2), Number((ulong)value.Length), value);

    private static byte[] Varint(int field, ulong value) => Concat(Tag(field, 0), Number(value));

    private static byte[] Fixed64(int field, ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return Concat(Tag(field, 1), bytes);
    }

    private static byte[] Fixed32(int field, uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return Concat(Tag(field, 5), bytes);
    }

    private static byte[] Tag(int field, int wireType) => Number((ulong)((field << 3) | wireType));

    private static byte[] Number(ulong value)
    {
        var bytes = new List<byte>();
        while (value >= 0x80)
        {
            bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }

        bytes.Add((byte)value);
        return [.. bytes];
    }
}
