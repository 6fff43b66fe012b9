using System.Text;
using Serilog;
using Serilog.Configuration;
using Serilog.Events;
using Serilog.Formatting.Display;
using Serilog.Parsing;
using Wrapper.Api.Hosting;

namespace Wrapper.UnitTests.Api.Hosting;

/// <summary>Console lines written off the request path: a batch is formatted as the console sink would and written in
/// one write, and what is still queued when the logger is disposed (host shutdown) is written then.</summary>
public sealed class BatchedConsoleSinkTests
{
    private static readonly MessageTemplateTextFormatter Formatter =
        new("[{Level:u3}] {SourceContext}: {Message:lj}{NewLine}", System.Globalization.CultureInfo.InvariantCulture);

    [Test]
    public async Task ABatchIsFormattedLikeTheConsoleAndWrittenInOneWrite()
    {
        var output = new CountingStream();
        using var sink = new BatchedConsoleSink(Formatter, output);

        await sink.EmitBatchAsync([Event("first", "A"), Event("second", "B"), Event("third \"quoted\"", "C")]);

        Assert.Multiple(() =>
        {
            Assert.That(output.Text, Is.EqualTo("[INF] A: first\n[INF] B: second\n[INF] C: third \"quoted\"\n".Replace("\n", Environment.NewLine)));
            Assert.That(output.Writes, Is.EqualTo(1), "one write for the whole batch");
        });
    }

    [Test]
    public void WhatIsQueuedWhenTheLoggerIsDisposedIsWritten()
    {
        var output = new CountingStream();
        var logger = new LoggerConfiguration()
            .WriteTo.Sink(new BatchedConsoleSink(Formatter, output),
                new BatchingOptions { BufferingTimeLimit = TimeSpan.FromHours(1), EagerlyEmitFirstEvent = false, BatchSizeLimit = 10_000 })
            .CreateLogger();

        for (var i = 0; i < 500; i++)
        {
            logger.ForContext("SourceContext", "Test").Information("line {Number}", i);
        }

        logger.Dispose();

        var lines = output.Text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Multiple(() =>
        {
            Assert.That(lines, Has.Length.EqualTo(500));
            Assert.That(lines[0], Is.EqualTo("[INF] Test: line 0"));
            Assert.That(lines[^1], Is.EqualTo("[INF] Test: line 499"));
        });
    }

    private static LogEvent Event(string text, string source) =>
        new(DateTimeOffset.UnixEpoch, LogEventLevel.Information, null, new MessageTemplateParser().Parse(text.Replace("{", "{{").Replace("}", "}}")),
            [new LogEventProperty("SourceContext", new ScalarValue(source))]);

    /// <summary>A write-only stream that keeps what was written and counts the writes (each overload counted once).</summary>
    private sealed class CountingStream : Stream
    {
        private readonly MemoryStream _written = new();

        public int Writes { get; private set; }

        public string Text => Encoding.UTF8.GetString(_written.ToArray());

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _written.Length;
        public override long Position { get => _written.Length; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Writes++;
            _written.Write(buffer);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
