namespace Tmq.Nsq.Tests.Control;

/// <summary>The control reader's settings are checked at start-up, each problem naming its key.</summary>
public sealed class NsqControlOptionsTests
{
    [Fact]
    public void Problems_BadTopicAndAddresses_NamesEachSetting()
    {
        var options = new NsqControlOptions
        {
            Topic = "tmq control",
            Nsq = new NsqControlSettings { Nsqd = ["nsqd"], Lookupd = ["ftp://lookupd"], LookupdPollInterval = TimeSpan.Zero },
        };

        var problems = options.Problems().ToList();

        Assert.Contains(problems, p => p.StartsWith("Tmq:Control:Topic is \"tmq control\"; an NSQ topic name is", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Tmq:Control:Nsq:Nsqd holds \"nsqd\"", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Tmq:Control:Nsq:Lookupd holds \"ftp://lookupd\"", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Tmq:Control:Nsq:LookupdPollInterval is 00:00:00", StringComparison.Ordinal));
    }

    [Fact]
    public void Problems_NsqBlockWithoutAddresses_SaysWhatToSet()
    {
        var problem = Assert.Single(new NsqControlOptions { Nsq = new NsqControlSettings() }.Problems());

        Assert.Contains("Tmq:Control:Nsq:Lookupd is empty and so is Tmq:Control:Nsq:Nsqd", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Problems_StatusTopicNotAnNsqName_NamesIt()
    {
        var problem = Assert.Single(new NsqControlOptions { StatusTopic = "tmq status" }.Problems());

        Assert.StartsWith("Tmq:Control:StatusTopic is \"tmq status\"; an NSQ topic name is", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Problems_Defaults_None()
    {
        Assert.Empty(new NsqControlOptions().Problems());
    }
}
