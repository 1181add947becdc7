using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Tmq.Benchmarks;

/// <summary>
/// CPU of this process's child processes that have exited and been waited for (getrusage
/// RUSAGE_CHILDREN): the difference around one tool's run is that tool's user and system time.
/// </summary>
internal static partial class ChildCpu
{
    /// <summary>User and system CPU of this process's children that have exited and been waited for.</summary>
    public static double Seconds()
    {
        if (GetRusage(RusageChildren, out var usage) != 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError());
        }

        return usage.UserSeconds + (usage.UserMicroseconds / 1e6) + usage.SystemSeconds + (usage.SystemMicroseconds / 1e6);
    }

    private const int RusageChildren = -1;

    [LibraryImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static partial int GetRusage(int who, out Rusage usage);

    /// <summary>struct rusage on 64-bit Linux: two timevals, then fourteen longs.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Rusage
    {
        public long UserSeconds;
        public long UserMicroseconds;
        public long SystemSeconds;
        public long SystemMicroseconds;
        public long MaxRss;
        public long IxRss;
        public long IdRss;
        public long IsRss;
        public long MinFlt;
        public long MajFlt;
        public long NSwap;
        public long InBlock;
        public long OuBlock;
        public long MsgSnd;
        public long MsgRcv;
        public long NSignals;
        public long NVCsw;
        public long NIvCsw;
    }
}
