using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Wrapper.Infrastructure.OpenAI;

namespace Wrapper.Infrastructure.Configuration;

/// <summary>Fills <see cref="AzureOpenAIOptions"/> from the original environment variable names. An empty value
/// counts as unset. A value that cannot be parsed is recorded and reported by
/// <see cref="AzureOpenAIOptionsValidator"/> with its key, so a bad setting fails the start with a clear message
/// instead of an exception from deep inside the binder.</summary>
public sealed class AzureOpenAIOptionsSetup : IConfigureOptions<AzureOpenAIOptions>
{
    private readonly IConfiguration _configuration;

    public AzureOpenAIOptionsSetup(IConfiguration configuration) => _configuration = configuration;

    public void Configure(AzureOpenAIOptions options)
    {
        if (Value(ConfigurationKeys.OpenAIEndpoint) is { } endpoint)
        {
            // A malformed URL leaves Endpoint empty; the validator then explains what is expected.
            options.Endpoint = Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) ? uri : null;
        }

        if (Value(ConfigurationKeys.OpenAIApiKey) is { } key)
        {
            options.ApiKey = key;
        }

        if (Value(ConfigurationKeys.OpenAIApiVersion) is { } version)
        {
            options.ApiVersion = version;
        }

        if (Value(ConfigurationKeys.OpenAIDeployment) is { } deployment)
        {
            options.Deployment = deployment;
        }

        if (Value(ConfigurationKeys.OpenAISimulated) is { } simulated)
        {
            if (bool.TryParse(simulated, out var flag))
            {
                options.Simulated = flag;
            }
            else
            {
                options.BindingErrors.Add($"{ConfigurationKeys.OpenAISimulated} must be true or false.");
            }
        }

        if (Number(ConfigurationKeys.RequestTimeoutSeconds, options) is { } timeout)
        {
            options.RequestTimeout = TimeSpan.FromSeconds(timeout);
        }

        if (WholeNumber(ConfigurationKeys.MaxRetries, options) is { } retries)
        {
            options.MaxRetries = retries;
            options.MaxRetriesConfigured = true;
        }

        if (Number(ConfigurationKeys.MaxRetryDelaySeconds, options) is { } maxDelay)
        {
            options.MaxRetryDelay = TimeSpan.FromSeconds(maxDelay);
        }

        if (Number(ConfigurationKeys.RetryBaseDelayMs, options) is { } baseDelay)
        {
            options.RetryBaseDelay = TimeSpan.FromMilliseconds(baseDelay);
        }

        if (Number(ConfigurationKeys.AttemptTimeoutSeconds, options) is { } attemptTimeout)
        {
            options.AttemptTimeout = TimeSpan.FromSeconds(attemptTimeout);
        }

        if (WholeNumber(ConfigurationKeys.MaxUpstreamAttempts, options) is { } attempts)
        {
            options.MaxUpstreamAttempts = attempts;
        }

        if (Number(ConfigurationKeys.StreamIdleTimeoutSeconds, options) is { } idle)
        {
            options.StreamIdleTimeout = TimeSpan.FromSeconds(idle);
        }

        ConfigureCircuitBreaker(options);
        ConfigureUpstreams(options);
    }

    private void ConfigureCircuitBreaker(AzureOpenAIOptions options)
    {
        var breaker = options.CircuitBreaker;
        if (Value(ConfigurationKeys.CircuitBreakerEnabled) is { } enabled)
        {
            if (bool.TryParse(enabled, out var flag))
            {
                breaker.Enabled = flag;
            }
            else
            {
                options.BindingErrors.Add($"{ConfigurationKeys.CircuitBreakerEnabled} must be true or false.");
            }
        }

        if (Number(ConfigurationKeys.CircuitBreakerFailureRatio, options) is { } ratio)
        {
            breaker.FailureRatio = ratio;
        }

        if (WholeNumber(ConfigurationKeys.CircuitBreakerMinimumThroughput, options) is { } throughput)
        {
            breaker.MinimumThroughput = throughput;
        }

        if (Number(ConfigurationKeys.CircuitBreakerSamplingDurationSeconds, options) is { } sampling)
        {
            breaker.SamplingDuration = TimeSpan.FromSeconds(sampling);
        }

        if (Number(ConfigurationKeys.CircuitBreakerBreakDurationSeconds, options) is { } breakSeconds)
        {
            breaker.BreakDuration = TimeSpan.FromSeconds(breakSeconds);
        }

        if (Number(ConfigurationKeys.CircuitBreakerMisconfigurationBreakSeconds, options) is { } misconfiguration)
        {
            breaker.MisconfigurationBreakDuration = TimeSpan.FromSeconds(misconfiguration);
        }
    }

    /// <summary>Reads <c>AzureOpenAI:Upstreams:N:*</c> in index order. Entries are read by hand, like the rest, so
    /// that a bad value is reported with its key instead of failing inside the binder.</summary>
    private void ConfigureUpstreams(AzureOpenAIOptions options)
    {
        var entries = _configuration.GetSection(ConfigurationKeys.Upstreams).GetChildren()
            .Select(c => (Section: c, Index: int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : int.MaxValue))
            .OrderBy(e => e.Index)
            .ThenBy(e => e.Section.Key, StringComparer.Ordinal);
        foreach (var (section, _) in entries)
        {
            var prefix = $"{ConfigurationKeys.Upstreams}:{section.Key}";
            if (!section.GetChildren().Any(c => !string.IsNullOrWhiteSpace(c.Value)))
            {
                continue;
            }

            var upstream = new AzureOpenAIUpstreamOptions
            {
                Name = Value($"{prefix}:Name"),
                ApiKey = Value($"{prefix}:ApiKey"),
                Deployment = Value($"{prefix}:Deployment"),
                ApiVersion = Value($"{prefix}:ApiVersion"),
            };
            if (Value($"{prefix}:Endpoint") is { } endpoint)
            {
                // A malformed URL leaves Endpoint empty; the validator then names the key.
                upstream.Endpoint = Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) ? uri : null;
            }

            if (WholeNumber($"{prefix}:Priority", options) is { } priority)
            {
                upstream.Priority = priority;
            }

            if (WholeNumber($"{prefix}:Weight", options) is { } weight)
            {
                upstream.Weight = weight;
            }

            options.Upstreams.Add(upstream);
        }
    }

    private int? WholeNumber(string key, AzureOpenAIOptions options)
    {
        if (Number(key, options) is not { } number)
        {
            return null;
        }

        if (number == Math.Floor(number) && number is >= int.MinValue and <= int.MaxValue)
        {
            return (int)number;
        }

        options.BindingErrors.Add($"{key} must be a whole number.");
        return null;
    }

    private string? Value(string key)
    {
        var value = _configuration[key];
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    private double? Number(string key, AzureOpenAIOptions options)
    {
        if (Value(key) is not { } text)
        {
            return null;
        }

        // Bounds are the validator's business; here only "is it a number at all". Absurd magnitudes are refused here
        // because TimeSpan.FromSeconds would throw on them before the validator could explain.
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)
            && Math.Abs(number) < 1e9)
        {
            return number;
        }

        options.BindingErrors.Add($"{key} must be a number, got '{text}'.");
        return null;
    }
}
