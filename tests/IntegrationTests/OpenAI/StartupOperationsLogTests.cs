using Microsoft.Extensions.Logging;
using Wrapper.Infrastructure.OpenAI;

namespace Wrapper.IntegrationTests.OpenAI;

/// <summary>At start each upstream logs one line naming the exact operations it will call (method, path template,
/// api-version), so that an operator can check them against Azure's REST reference at a glance.</summary>
[TestFixture]
public sealed class StartupOperationsLogTests
{
    [Test]
    public void EachUpstreamLogsItsOperations()
    {
        var options = new AzureOpenAIOptions { Deployment = "gpt-4o-mini", ApiVersion = "2024-10-21" };
        options.Upstreams.Add(new AzureOpenAIUpstreamOptions { Name = "east", Endpoint = new Uri("https://east.openai.azure.com/"), ApiKey = "k" });
        options.Upstreams.Add(new AzureOpenAIUpstreamOptions { Name = "west", Endpoint = new Uri("https://west.openai.azure.com/openai/v1/"), ApiKey = "k" });
        var lines = new List<string>();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(new Capture(lines)).SetMinimumLevel(LogLevel.Information));
        using var http = new HttpClient();

        AzureOpenAIClientFactory.CreatePool(options, http, () => throw new InvalidOperationException("no Entra ID here"), TimeProvider.System,
            loggers, TimeSpan.FromMinutes(15));

        var east = lines.Where(l => l.Contains("upstream east", StringComparison.Ordinal)).ToList();
        var west = lines.Where(l => l.Contains("upstream west", StringComparison.Ordinal)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(east, Has.Count.EqualTo(1));
            Assert.That(west, Has.Count.EqualTo(1));
            Assert.That(east.Single(), Does.Contain("POST /openai/deployments/{deployment}/chat/completions?api-version=2024-10-21"));
            Assert.That(east.Single(), Does.Contain("GET /openai/models?api-version=2024-10-21 (no tokens)"));
            Assert.That(east.Single(), Does.Contain("max_tokens 1 at most every 15 min"));
            Assert.That(west.Single(), Does.Contain("POST /openai/v1/chat/completions"));
            Assert.That(west.Single(), Does.Contain("GET /openai/v1/models (no tokens)"));
            Assert.That(west.Single(), Does.Contain("API v1"));
            Assert.That(string.Join('\n', lines), Does.Not.Contain("api-key: k"));
        });
    }

    private sealed class Capture(List<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(lines);

        public void Dispose()
        {
        }

        private sealed class Logger(List<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (lines)
                {
                    lines.Add(formatter(state, exception));
                }
            }
        }
    }
}
