using System.Text;
using Tmq.Nsq.Tests.Fakes;

namespace Tmq.Nsq.Tests.Consumer;

/// <summary>
/// An nsqd (or something pretending to be one) that answers IDENTIFY with values no nsqd sends:
/// the consumer refuses that connection saying what arrived, keeps retrying without piling
/// anything up, and works once the answer is sane; the host still stops promptly.
/// </summary>
public sealed class NsqConsumerHostileNsqdTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    public static TheoryData<string, string> Answers => new()
    {
        { "negative msg_timeout", ScriptedNsqd.DefaultIdentifyResponse.Replace("\"msg_timeout\":60000", "\"msg_timeout\":-5000", StringComparison.Ordinal) },
        { "zero msg_timeout", ScriptedNsqd.DefaultIdentifyResponse.Replace("\"msg_timeout\":60000", "\"msg_timeout\":0", StringComparison.Ordinal) },
        { "negative max_msg_timeout", ScriptedNsqd.DefaultIdentifyResponse.Replace("\"max_msg_timeout\":900000", "\"max_msg_timeout\":-1", StringComparison.Ordinal) },
        { "zero max_rdy_count", ScriptedNsqd.DefaultIdentifyResponse.Replace("\"max_rdy_count\":2500", "\"max_rdy_count\":0", StringComparison.Ordinal) },
        { "negative max_rdy_count", ScriptedNsqd.DefaultIdentifyResponse.Replace("\"max_rdy_count\":2500", "\"max_rdy_count\":-3", StringComparison.Ordinal) },
        { "version an unpaired surrogate", ScriptedNsqd.DefaultIdentifyResponse.Replace("\"version\":\"1.3.0\"", "\"version\":\"\\ud800\"", StringComparison.Ordinal) },
        { "JSON nested too deep", new string('[', 5000) },
    };

    [Theory]
    [MemberData(nameof(Answers))]
    public async Task Identify_AnswerNoNsqdSends_RefusedSayingSoThenWorksOnceSane(string scenario, string answer)
    {
        await using var nsqd = ScriptedNsqd.Start();
        nsqd.IdentifyResponse = answer;
        var handled = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var host = await NsqTestHost.StartAsync(
            new Dictionary<string, string?> { ["Consumers:main:Nsq:Nsqd:0"] = $"127.0.0.1:{nsqd.EndPoint.Port}" },
            (message, _) =>
            {
                handled.TrySetResult(message.ValueAsString());
                return Task.CompletedTask;
            });
        try
        {
            await nsqd.WaitUntilAsync(() => nsqd.ConnectionsAccepted >= 3, Wait, $"{scenario}: the consumer should keep retrying");
            Assert.DoesNotContain(nsqd.Commands, c => c.Name == "RDY" && c.Line != "RDY 0");
            Assert.True(host.Logs.Contains("nsqd answered IDENTIFY with"), host.Logs.ToString());

            nsqd.IdentifyResponse = ScriptedNsqd.DefaultIdentifyResponse;
            var rdy = await nsqd.WaitForCommandAsync("RDY", Wait, c => c.Line != "RDY 0");
            await nsqd.Connections[rdy.Connection].SendMessageAsync(NsqFrames.MessageId(1), Encoding.UTF8.GetBytes("after " + scenario));
            Assert.Equal("after " + scenario, await handled.Task.WaitAsync(Wait));
        }
        finally
        {
            await host.StopAsync().WaitAsync(Wait);
            await host.DisposeAsync();
        }
    }
}
