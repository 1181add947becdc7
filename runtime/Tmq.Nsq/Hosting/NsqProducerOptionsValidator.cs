using Microsoft.Extensions.Options;

namespace Tmq.Nsq.Hosting;

/// <summary>Checks the NSQ producer's settings at start-up, naming each by its configuration path.</summary>
internal sealed class NsqProducerOptionsValidator(string path) : IValidateOptions<NsqProducerOptions>
{
    public ValidateOptionsResult Validate(string? name, NsqProducerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        void Fail(string setting, string problem) => errors.Add(ConsumerOptionsValidator.Problem($"{path}:{setting}", problem));

        if (options.Mode == NsqPublishMode.Tcp && options.Nsqd.Count == 0)
        {
            Fail("Nsqd", "is empty; the producer needs nsqd TCP addresses to publish to, e.g. [\"127.0.0.1:4150\"] (or Mode \"Http\" with Http addresses)");
        }

        if (options.Mode == NsqPublishMode.Http && options.Http.Count == 0)
        {
            Fail("Http", "is empty, but Mode is Http; set nsqd HTTP addresses, e.g. [\"http://127.0.0.1:4151\"]");
        }

        foreach (var address in options.Nsqd.Where(static a => !NsqAddress.TryParse(a, out _)))
        {
            Fail("Nsqd", $"holds \"{address}\"; an nsqd address is {NsqAddress.Rule}");
        }

        foreach (var address in options.Http.Where(static a => !NsqAddress.TryParseLookupd(a, out _)))
        {
            Fail("Http", $"holds \"{address}\"; an nsqd HTTP address is e.g. \"http://127.0.0.1:4151\"");
        }

        if (options.PublishTimeout <= TimeSpan.Zero || options.HttpTimeout <= TimeSpan.Zero)
        {
            Fail("PublishTimeout", $"is {options.PublishTimeout} and HttpTimeout {options.HttpTimeout}; both must be positive");
        }

        NsqConsumerOptionsValidation.ValidateClient(options, path, errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
