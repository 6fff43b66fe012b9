using System.Text;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Display;
using Serilog.Parsing;
using Wrapper.Api.Hosting;

namespace Wrapper.UnitTests.Api.Hosting;

/// <summary>Console lines written off the request path: formatted as the console sink would, in order, in far fewer writes
/// than events; at most the queue limit waits (the rest is dropped and said so); what is queued at disposal is written.</summary>
public sealed class BatchedConsoleSinkTests
{
    private static readonly MessageTemplateTextFormatter Formatter =
        new("[{Level:u3}] {SourceContext}: {Message:lj}{NewLine}", System.Globalization.CultureInfo.InvariantCulture);

    [Test]
    public void EventsAreFormattedLikeTheConsole()
    {
        var output = new CountingStream();
        var sink = new BatchedConsoleSink(Formatter, output);

        sink.Emit(Event("first", "A"));
        sink.Emit(Event("second", "B"));
        sink.Emit(Event("third \"quoted\"", "C"));
        sink.Dispose();

        Assert.That(output.Text, Is.EqualTo("[INF] A: first\n[INF] B: second\n[INF] C: third \"quoted\"\n".Replace("\n", Environment.NewLine)));
    }

    [Test]
    public void ManyEventsAreWrittenInOrderInFewWrites()
    {
        var output = new CountingStream();
        var logger = new LoggerConfiguration().WriteTo.Sink(new BatchedConsoleSink(Formatter, output)).CreateLogger();

        for (var i = 0; i < 500; i++)
        {
            logger.ForContext("SourceContext", "Test").Information("line {Number}", i);
        }

        logger.Dispose();

        var lines = output.Text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Multiple(() =>
        {
            Assert.That(lines, Is.EqualTo(Enumerable.Range(0, 500).Select(i => $"[INF] Test: line {i}")));
            Assert.That(output.Writes, Is.LessThanOrEqualTo(50), "batched: far fewer writes than events");
        });
    }

    [Test]
    public void BeyondTheQueueLimitEventsAreDroppedAndALineSaysHowMany()
    {
        using var output = new GatedStream();
        var sink = new BatchedConsoleSink(Formatter, output, queueLimit: 10);

        sink.Emit(Event("first", "A"));
        Assert.That(output.WriteStarted.Wait(TimeSpan.FromSeconds(10)), Is.True, "the writer took the first event and is writing it");
        for (var i = 0; i < 50; i++)
        {
            sink.Emit(Event($"queued {i}", "B"));
        }

        output.Open();
        sink.Dispose();

        var lines = output.Text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Multiple(() =>
        {
            Assert.That(lines[0], Is.EqualTo("[INF] A: first"));
            Assert.That(lines.Skip(1).Take(10), Is.EqualTo(Enumerable.Range(0, 10).Select(i => $"[INF] B: queued {i}")), "the first ten waited");
            Assert.That(lines, Has.Length.EqualTo(12));
            Assert.That(lines[^1], Does.EndWith("40 log events were dropped: standard output did not keep up."));
        });
    }

    private static LogEvent Event(string text, string source) =>
        new(DateTimeOffset.UnixEpoch, LogEventLevel.Information, null, new MessageTemplateParser().Parse(text.Replace("{", "{{").Replace("}", "}}")),
            [new LogEventProperty("SourceContext", new ScalarValue(source))]);

    /// <summary>A stream whose writes wait until <see cref="Open"/>; <see cref="WriteStarted"/> is set by the first.</summary>
    private sealed class GatedStream : CountingStream
    {
        private readonly ManualResetEventSlim _gate = new();

        public ManualResetEventSlim WriteStarted { get; } = new();

        public void Open() => _gate.Set();

        protected override void BeforeWrite()
        {
            WriteStarted.Set();
            _gate.Wait(TimeSpan.FromSeconds(30));
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _gate.Dispose();
                WriteStarted.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>A write-only stream that keeps what was written and counts the writes (each overload counted once).</summary>
    private class CountingStream : Stream
    {
        private readonly MemoryStream _written = new();

        public int Writes { get; private set; }

        public string Text
        {
            get
            {
                lock (_written)
                {
                    return Encoding.UTF8.GetString(_written.ToArray());
                }
            }
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _written.Length;
        public override long Position { get => _written.Length; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            BeforeWrite();
            lock (_written)
            {
                Writes++;
                _written.Write(buffer);
            }
        }

        protected virtual void BeforeWrite()
        {
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
