using Microsoft.Extensions.Options;
using Wrapper.Application.Common;
using Wrapper.Infrastructure.OpenAI;

namespace Wrapper.IntegrationTests.OpenAI;

/// <summary>Binding of the original environment variable names and the start-up validation messages.</summary>
[TestFixture]
public sealed class AzureOpenAIOptionsTests
{
    private static readonly Uri Endpoint = new("https://my-resource.openai.azure.com/");

    private static string StartupFailure(Dictionary<string, string?> settings)
    {
        var adapter = OpenAIAdapter.Create(settings);
        try
        {
            var ex = Assert.Throws<OptionsValidationException>(adapter.ValidateOnStart)!;
            return ex.Message;
        }
        finally
        {
            adapter.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    [Test]
    public async Task DefaultsApplyWhenOnlyTheEndpointIsSet()
    {
        await using var adapter = OpenAIAdapter.Create(new Dictionary<string, string?> { ["OPENAI_ENDPOINT"] = Endpoint.ToString() });
        adapter.ValidateOnStart();

        var options = adapter.Options;
        Assert.Multiple(() =>
        {
            Assert.That(options.Endpoint, Is.EqualTo(Endpoint));
            Assert.That(options.ApiKey, Is.Null);
            Assert.That(options.ApiVersion, Is.EqualTo("v1"), "the v1 API, which Microsoft recommends for new code");
            Assert.That(options.Deployment, Is.EqualTo("gpt-4o-mini"));
            Assert.That(options.RequestTimeout, Is.EqualTo(TimeSpan.FromSeconds(30)));
            Assert.That(options.MaxRetries, Is.EqualTo(2));
            Assert.That(options.MaxRetryDelay, Is.EqualTo(TimeSpan.FromSeconds(2)));
        });
    }

    [TestCase("v1", "v1")]
    [TestCase("V1", "v1")]
    [TestCase("2024-10-21", "2024-10-21")]
    public async Task AnEndpointIsCalledOnTheApiVersionItNames(string configured, string expected)
    {
        await using var adapter = OpenAIAdapter.Create(new Dictionary<string, string?>
        {
            ["OPENAI_ENDPOINT"] = "https://my-resource.openai.azure.com/",
            ["OPENAI_API_VERSION"] = configured,
        });
        adapter.ValidateOnStart();

        var upstream = adapter.Options.ResolveUpstreams().Single();

        Assert.Multiple(() =>
        {
            Assert.That(upstream.IsV1, Is.EqualTo(expected == "v1"));
            Assert.That(upstream.V1BaseAddress, Is.EqualTo(new Uri("https://my-resource.openai.azure.com/openai/v1/")));
        });
    }

    [TestCase("https://my-resource.openai.azure.com/openai/v1/")]
    [TestCase("https://my-resource.openai.azure.com/openai/v1")]
    public async Task AnEndpointEndingInOpenAIV1SelectsTheV1Api(string endpoint)
    {
        await using var adapter = OpenAIAdapter.Create(new Dictionary<string, string?>
        {
            ["OPENAI_ENDPOINT"] = endpoint,
            ["OPENAI_API_VERSION"] = "2024-10-21",
            ["AzureOpenAI:Upstreams:0:Endpoint"] = "https://other.openai.azure.com/openai/v1/",
            ["AzureOpenAI:Upstreams:1:Endpoint"] = "https://dated.openai.azure.com/",
        });
        adapter.ValidateOnStart();

        var single = new Infrastructure.OpenAI.AzureOpenAIOptions { Endpoint = new Uri(endpoint), ApiVersion = "2024-10-21" }.ResolveUpstreams().Single();
        var pool = adapter.Options.ResolveUpstreams();

        Assert.Multiple(() =>
        {
            Assert.That(single.ApiVersion, Is.EqualTo("v1"));
            Assert.That(single.V1BaseAddress, Is.EqualTo(new Uri("https://my-resource.openai.azure.com/openai/v1/")));
            Assert.That(pool[0].ApiVersion, Is.EqualTo("v1"), "per pool upstream");
            Assert.That(pool[1].ApiVersion, Is.EqualTo("2024-10-21"));
        });
    }

    [Test]
    public async Task APoolUpstreamMayUseTheV1Api()
    {
        await using var adapter = OpenAIAdapter.Create(new Dictionary<string, string?>
        {
            ["OPENAI_API_VERSION"] = "2025-04-01-preview",
            ["AzureOpenAI:Upstreams:0:Endpoint"] = "https://east.openai.azure.com/",
            ["AzureOpenAI:Upstreams:0:ApiVersion"] = "v1",
            ["AzureOpenAI:Upstreams:1:Endpoint"] = "https://west.openai.azure.com/",
        });
        adapter.ValidateOnStart();

        var pool = adapter.Options.ResolveUpstreams();

        Assert.That(pool.Select(u => u.IsV1), Is.EqualTo(new[] { true, false }));
    }

    [Test]
    public async Task TheOriginalVariableNamesBind()
    {
        await using var adapter = OpenAIAdapter.Create(new Dictionary<string, string?>
        {
            ["OPENAI_ENDPOINT"] = "http://127.0.0.1:5080/",
            ["OPENAI_API_KEY"] = "secret",
            ["OPENAI_API_VERSION"] = "2024-10-21",
            ["OPENAI_MODEL_DEPLOYMENT_NAME"] = "gpt-4o",
            ["AzureOpenAI:RequestTimeoutSeconds"] = "12.5",
            ["AzureOpenAI:MaxRetries"] = "0",
            ["AzureOpenAI:MaxRetryDelaySeconds"] = "1",
        });
        adapter.ValidateOnStart();

        var options = adapter.Options;
        Assert.Multiple(() =>
        {
            Assert.That(options.Endpoint, Is.EqualTo(new Uri("http://127.0.0.1:5080/")));
            Assert.That(options.ApiKey, Is.EqualTo("secret"));
            Assert.That(options.ApiVersion, Is.EqualTo("2024-10-21"));
            Assert.That(options.Deployment, Is.EqualTo("gpt-4o"));
            Assert.That(options.RequestTimeout, Is.EqualTo(TimeSpan.FromSeconds(12.5)));
            Assert.That(options.MaxRetries, Is.Zero);
            Assert.That(options.MaxRetryDelay, Is.EqualTo(TimeSpan.FromSeconds(1)));
        });
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("my-resource.openai.azure.com")]
    [TestCase("ftp://my-resource.openai.azure.com/")]
    public void AMissingOrInvalidEndpointFailsTheStartWithAnExample(string? endpoint)
    {
        var message = StartupFailure(new Dictionary<string, string?> { ["OPENAI_ENDPOINT"] = endpoint });

        Assert.That(message, Does.Contain("OPENAI_ENDPOINT must be an absolute http(s) URL, e.g. https://my-resource.openai.azure.com/"));
    }

    [Test]
    public void AnUnsupportedApiVersionListsTheSupportedOnes()
    {
        var message = StartupFailure(new Dictionary<string, string?>
        {
            ["OPENAI_ENDPOINT"] = Endpoint.ToString(),
            ["OPENAI_API_VERSION"] = "2023-05-15",
        });

        Assert.Multiple(() =>
        {
            Assert.That(message, Does.Contain("OPENAI_API_VERSION '2023-05-15' is not supported"));
            Assert.That(message, Does.Contain("2024-10-21"));
            Assert.That(message, Does.Contain("2025-04-01-preview"));
            Assert.That(AzureOpenAIServiceVersions.Supported, Does.Contain("2024-06-01"));
        });
    }

    [Test]
    public void ApiVersionsAreMatchedWithoutRegardToCase() =>
        Assert.That(AzureOpenAIServiceVersions.TryParse("2025-04-01-PREVIEW", out _), Is.True);

    [TestCase("AzureOpenAI:RequestTimeoutSeconds", "soon", "AzureOpenAI:RequestTimeoutSeconds must be a number")]
    [TestCase("AzureOpenAI:RequestTimeoutSeconds", "0", "AzureOpenAI:RequestTimeoutSeconds must be between")]
    [TestCase("AzureOpenAI:MaxRetries", "-1", "AzureOpenAI:MaxRetries must be between 0 and 10")]
    [TestCase("AzureOpenAI:MaxRetries", "1.5", "AzureOpenAI:MaxRetries must be a whole number")]
    [TestCase("AzureOpenAI:MaxRetryDelaySeconds", "3600", "AzureOpenAI:MaxRetryDelaySeconds must be between 0 and 60")]
    [TestCase("AzureOpenAI:CircuitBreaker:Enabled", "yes", "AzureOpenAI:CircuitBreaker:Enabled must be true or false")]
    [TestCase("AzureOpenAI:Upstreams:0:Priority", "first", "AzureOpenAI:Upstreams:0:Priority must be a number")]
    [TestCase("OPENAI_MODEL_DEPLOYMENT_NAME", "my/deployment", "OPENAI_MODEL_DEPLOYMENT_NAME must be a deployment name")]
    public void AnInvalidSettingFailsTheStartNamingIt(string key, string value, string expected)
    {
        var message = StartupFailure(new Dictionary<string, string?> { ["OPENAI_ENDPOINT"] = Endpoint.ToString(), [key] = value });

        Assert.That(message, Does.Contain(expected));
    }

    [Test]
    public async Task OpenAIPromptBecomesTheSystemPrompt()
    {
        await using var adapter = OpenAIAdapter.Create(new Dictionary<string, string?>
        {
            ["OPENAI_ENDPOINT"] = Endpoint.ToString(),
            ["OPENAI_PROMPT"] = "You are a pirate.",
            ["Chat:SystemPrompt"] = "You are a parrot.",
            ["Chat:MaxMessages"] = "7",
        });

        var chat = adapter.Get<IOptions<ChatOptions>>().Value;

        Assert.Multiple(() =>
        {
            Assert.That(chat.SystemPrompt, Is.EqualTo("You are a pirate."));
            Assert.That(chat.MaxMessages, Is.EqualTo(7));
        });
    }

    [TestCase(null)]
    [TestCase("   ")]
    public async Task WithoutOpenAIPromptTheDefaultSystemPromptStays(string? prompt)
    {
        await using var adapter = OpenAIAdapter.Create(new Dictionary<string, string?>
        {
            ["OPENAI_ENDPOINT"] = Endpoint.ToString(),
            ["OPENAI_PROMPT"] = prompt,
        });

        Assert.That(adapter.Get<IOptions<ChatOptions>>().Value.SystemPrompt, Is.EqualTo("You are a helpful assistant."));
    }
}
