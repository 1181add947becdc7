using System.Buffers;
using System.Buffers.Binary;
using Tmq.Nsq.Protocol;
using Tmq.Nsq.Tests.Fakes;

namespace Tmq.Nsq.Tests.Protocol;

/// <summary>
/// Whatever bytes arrive, the reader returns frames, asks for more, or throws
/// <see cref="NsqProtocolException"/>: a broken peer must not surface as any other exception, and
/// nothing is allocated beyond the frames returned, whatever size a header claims.
/// </summary>
public sealed class FrameReaderFuzzTests
{
    private const int Seed = 20240607;
    private const int Iterations = 4000;

    /// <summary>A byte array's header: what returning a frame may cost beyond its data.</summary>
    private const int ArrayOverheadBytes = 32;

    [Fact]
    public void TryRead_RandomAndCorruptedStreams_ReturnsFramesFalseOrProtocolException()
    {
        var random = new Random(Seed);
        for (var i = 0; i < Iterations; i++)
        {
            var bytes = i % 3 == 0 ? RandomBytes(random) : CorruptedFrames(random);
            bytes = bytes[..random.Next(bytes.Length + 1)];
            // Mostly small limits, so that corrupted sizes go over them; sometimes no limit to speak
            // of, so that a huge claimed size is waited for rather than refused.
            var maxFrameBytes = random.Next(4) == 0 ? int.MaxValue : random.Next(0, 300);

            ReadAll(bytes, RandomCuts(random, bytes.Length), maxFrameBytes, $"iteration {i} (seed {Seed})");
        }
    }

    private static void ReadAll(byte[] bytes, int[] cuts, int maxFrameBytes, string because)
    {
        var buffer = Segments.Split(bytes, cuts);
        try
        {
            while (true)
            {
                var before = buffer;
                var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                var read = FrameReader.TryRead(ref buffer, maxFrameBytes, out var frame);
                var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
                Assert.True(allocated <= (read ? frame.Data.Length : 0) + ArrayOverheadBytes, $"{because}: {allocated} bytes allocated for {(read ? frame.Data.Length + " bytes of data" : "no frame")}");
                if (!read)
                {
                    Assert.Equal(before, buffer);
                    return;
                }

                Assert.InRange(frame.Data.Length, 0, maxFrameBytes - 4);
                Assert.Equal(before.Length - 8 - frame.Data.Length, buffer.Length);
                Assert.True(Enum.IsDefined(frame.Type), because);
            }
        }
        catch (NsqProtocolException)
        {
            // The one allowed failure.
        }
        catch (Exception e)
        {
            Assert.Fail($"{because}: {e.GetType().Name} {e.Message} reading {Convert.ToHexString(bytes)} (limit {maxFrameBytes}, cuts {string.Join(',', cuts)})");
        }
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(0, 64)];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Valid frames with some header or data bytes overwritten, so that most streams get past the first check.</summary>
    private static byte[] CorruptedFrames(Random random)
    {
        var frames = new List<byte>();
        for (var n = random.Next(1, 5); n > 0; n--)
        {
            var data = new byte[random.Next(0, 80)];
            random.NextBytes(data);
            frames.AddRange(random.Next(4) switch
            {
                0 => NsqFrames.Heartbeat(),
                1 => NsqFrames.Message(NsqFrames.MessageId(random.NextInt64()), data, random.Next(1, 100)),
                _ => NsqFrames.Frame(random.Next(-1, 4), data),
            });
        }

        var bytes = frames.ToArray();
        for (var n = random.Next(0, 3); n > 0; n--)
        {
            var at = random.Next(bytes.Length);
            if (random.Next(2) == 0 && at + 4 <= bytes.Length)
            {
                BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(at), random.Next(2) == 0 ? random.Next() : -random.Next());
            }
            else
            {
                bytes[at] = (byte)random.Next(256);
            }
        }

        return bytes;
    }

    private static int[] RandomCuts(Random random, int length)
    {
        var cuts = new int[random.Next(0, 4)];
        for (var i = 0; i < cuts.Length; i++)
        {
            cuts[i] = random.Next(length + 1);
        }

        Array.Sort(cuts);
        return cuts;
    }
}
