using System.Runtime.InteropServices;
using System.Text;

namespace Tmq.Kafka.Embedded;

/// <summary>
/// Owns one librdkafka mock cluster and the client handle it needs for bookkeeping. Released
/// exactly once, by <see cref="SafeHandle.Dispose()"/> or, if the owner forgot, by the
/// finalizer; <see cref="SafeHandle"/> reference counting keeps a call that is in progress on
/// another thread from racing the release.
/// </summary>
internal sealed unsafe class MockClusterHandle : SafeHandle
{
    private IntPtr _client;
    private MockWakeup? _wakeup;

    public MockClusterHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>Creates a client handle and a cluster of <paramref name="brokers"/> brokers on it.</summary>
    public static MockClusterHandle Create(int brokers)
    {
        var client = CreateClient();
        var cluster = MockNative.ClusterNew(client, brokers);
        if (cluster == IntPtr.Zero)
        {
            MockNative.Destroy(client);
            throw new InvalidOperationException(
                $"librdkafka could not start a mock cluster of {brokers} broker(s): it could not listen on a loopback port or start its thread. " +
                "Check that the process may open listening sockets on 127.0.0.1.");
        }

        var result = new MockClusterHandle { _client = client };
        result.SetHandle(cluster);
        result._wakeup = new MockWakeup(Utf8(MockNative.ClusterBootstraps(cluster)));
        return result;
    }

    private static IntPtr CreateClient()
    {
        var conf = MockNative.ConfNew();
        var errors = stackalloc byte[512];

        // The bookkeeping client never connects anywhere; without this it would warn on stderr
        // that it has no bootstrap servers. Errors still show.
        Set(conf, "log_level", "3", errors);
        var client = MockNative.New(MockNative.ProducerType, conf, errors, 512);
        if (client == IntPtr.Zero)
        {
            MockNative.ConfDestroy(conf);
            throw new InvalidOperationException(
                "librdkafka refused to create the mock cluster's client handle: " + Utf8(errors));
        }

        return client;
    }

    private static void Set(IntPtr conf, string name, string value, byte* errors)
    {
        fixed (byte* n = Utf8Z(name))
        fixed (byte* v = Utf8Z(value))
        {
            if (MockNative.ConfSet(conf, n, v, errors, 512) != MockNative.ConfOk)
            {
                MockNative.ConfDestroy(conf);
                throw new InvalidOperationException($"librdkafka rejected '{name}' for the mock cluster's client: {Utf8(errors)}");
            }
        }
    }

    /// <summary>Runs <paramref name="call"/> with the cluster pointer, holding a reference so it cannot be released meanwhile.</summary>
    /// <exception cref="ObjectDisposedException">The broker has been disposed.</exception>
    public T Use<T>(Func<IntPtr, T> call)
    {
        var added = false;
        try
        {
            DangerousAddRef(ref added);
            using var nudging = _wakeup?.Arm();
            return call(handle);
        }
        finally
        {
            if (added)
            {
                DangerousRelease();
            }
        }
    }

    protected override bool ReleaseHandle()
    {
        // The cluster first: it joins its thread, which uses the client's queues.
        using (_wakeup?.Arm())
        {
            MockNative.ClusterDestroy(handle);
        }

        MockNative.Destroy(_client);
        _client = IntPtr.Zero;
        return true;
    }

    internal static byte[] Utf8Z(string text)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }

    internal static string Utf8(byte* text) => Marshal.PtrToStringUTF8((IntPtr)text) ?? string.Empty;
}
