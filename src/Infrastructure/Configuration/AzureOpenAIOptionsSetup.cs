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

        if (Number(ConfigurationKeys.MaxRetries, options) is { } retries)
        {
            if (retries == Math.Floor(retries) && retries is >= int.MinValue and <= int.MaxValue)
            {
                options.MaxRetries = (int)retries;
            }
            else
            {
                options.BindingErrors.Add($"{ConfigurationKeys.MaxRetries} must be a whole number.");
            }
        }

        if (Number(ConfigurationKeys.MaxRetryDelaySeconds, options) is { } maxDelay)
        {
            options.MaxRetryDelay = TimeSpan.FromSeconds(maxDelay);
        }

        if (Number(ConfigurationKeys.RetryBaseDelayMs, options) is { } baseDelay)
        {
            options.RetryBaseDelay = TimeSpan.FromMilliseconds(baseDelay);
        }
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
