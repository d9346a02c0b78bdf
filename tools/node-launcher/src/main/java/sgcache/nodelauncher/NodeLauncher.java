package sgcache.nodelauncher;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

/**
 * What the OpenSearch and the Elasticsearch launchers share (their sources include this
 * folder): the command line, the watchers that end the node with its parent, the node's home
 * and log configuration, the settings common to both engines, the files and the READY line
 * that tell scripts/search-node where the node listens, and a clean close on SIGTERM. Each
 * engine supplies an {@link Engine}: its names, and how it builds, starts and closes a node.
 */
public final class NodeLauncher {

    /** The command line, parsed. */
    public static final class Options {
        public Path home;
        public String clusterName = "sgcache-test";
        public String nodeName = "node-1";
        public List<String> seedHosts = new ArrayList<>();
        public List<String> roles = new ArrayList<>();
        public boolean bootstrapCluster;
        public boolean seedFile;
        public Integer defaultReplicas;
        public long watchPid = -1;
        public int httpPort = 0;
        public boolean exitOnStdinEof;
        public String logLevel = "warn";
    }

    /** A node that started: where it listens, and how it closes. */
    public interface Started {
        String httpAddress();
        int httpPort();
        int transportPort();
        /** Closes the node and waits up to `seconds` for it; false when it did not close in time. */
        boolean close(long seconds) throws Exception;
    }

    /** One engine's side. */
    public interface Engine {
        /** "opensearch-node launcher", for messages. */
        String launcherName();
        /** The fully qualified class of the launcher's main, for usage. */
        String mainClass();
        /** The root package of the engine's classes ("org.opensearch"), for logger names. */
        String rootPackage();
        /** The role of manager-eligible nodes ("cluster_manager", "master"). */
        String managerRole();
        /** The setting naming the nodes that bootstrap a new cluster. */
        String initialManagersSetting();
        /** What --default-replicas does on this engine, for usage. */
        String defaultReplicasHelp();
        /**
         * Builds the node's environment from `settings` (values are strings or lists of
         * strings), configures logging from `config`, builds the node, hands it to `built`
         * (so that a SIGTERM during start-up closes it), starts it and returns it.
         */
        Started start(Map<String, Object> settings, Options options, Path config, Consumer<Started> built)
            throws Exception;
    }

    // LogConfigurator replaces System.out/err with streams into log4j; keep the real ones.
    private static final PrintStream realOut =
        new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    private static final PrintStream realErr =
        new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);

    private static Engine engine;
    private static volatile Started node;
    private static final CountDownLatch closed = new CountDownLatch(1);

    /** Runs the launcher: exits 0 when the node closed, 1 when start-up failed, 2 for bad usage. */
    public static void main(String[] args, Engine e) {
        engine = e;
        try {
            run(args);
        } catch (Throwable t) {
            realErr.println(engine.launcherName() + ": startup failed: " + t);
            t.printStackTrace(realErr);
            // Node threads may not all be daemons: make sure the JVM goes away.
            System.exit(1);
        }
    }

    private static void usage(PrintStream out) {
        out.println(String.join("\n",
            "usage: java -cp 'target/classes:target/lib/*' " + engine.mainClass() + " --home DIR [options]",
            "  --home DIR               node home (config/, data/, logs/, modules/, plugins/ are created)",
            "  --cluster-name NAME      cluster.name (default sgcache-test)",
            "  --node-name NAME         node.name (default node-1)",
            "  --roles a,b,c            node.roles, e.g. " + engine.managerRole() + ",data,ingest or data,ingest",
            "                           (cluster_manager and master both name the manager role)",
            "  --bootstrap-cluster      first node of a multi-node cluster: sets",
            "                           " + engine.initialManagersSetting() + " to this node's name",
            "  --seed-hosts h:p[,h:p]   discovery.seed_hosts: join the cluster through these transport addresses",
            "  --seed-file              also read seed addresses from HOME/config/unicast_hosts.txt (one host:port",
            "                           a line; re-read at every discovery round, so it may be written later)",
            "  (with none of --bootstrap-cluster, --seed-hosts, --seed-file: discovery.type=single-node)",
            "  --default-replicas N     " + engine.defaultReplicasHelp(),
            "  --watch-pid PID          exit cleanly once process PID is gone (polled every 500 ms)",
            "  --exit-on-stdin-eof      exit cleanly when standard input reaches end of file",
            "  --log-level LEVEL        root log level of the console log (stderr), default warn",
            "  --http-port N            bind HTTP to this port instead of a free one (restart tests)",
            "Binds HTTP and transport to 127.0.0.1 on free ports, writes HOME/http.url and",
            "HOME/transport.port, then prints 'READY <url>' on standard output."));
    }

    private static Options parse(String[] args) {
        Options o = new Options();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--home": o.home = Path.of(need(args, ++i, a)).toAbsolutePath(); break;
                case "--cluster-name": o.clusterName = need(args, ++i, a); break;
                case "--node-name": o.nodeName = need(args, ++i, a); break;
                case "--roles": o.roles = splitList(need(args, ++i, a)); break;
                case "--seed-hosts": o.seedHosts = splitList(need(args, ++i, a)); break;
                case "--bootstrap-cluster": o.bootstrapCluster = true; break;
                case "--seed-file": o.seedFile = true; break;
                case "--default-replicas": o.defaultReplicas = Integer.parseInt(need(args, ++i, a)); break;
                case "--watch-pid": o.watchPid = Long.parseLong(need(args, ++i, a)); break;
                case "--exit-on-stdin-eof": o.exitOnStdinEof = true; break;
                case "--log-level": o.logLevel = need(args, ++i, a); break;
                case "--http-port": o.httpPort = Integer.parseInt(need(args, ++i, a)); break;
                case "-h": case "--help": usage(System.out); System.exit(0); break;
                default: die("unknown argument: " + a);
            }
        }
        if (o.home == null) die("--home DIR is required");
        if (o.bootstrapCluster && (o.seedFile || !o.seedHosts.isEmpty())) {
            die("--bootstrap-cluster excludes --seed-hosts and --seed-file");
        }
        return o;
    }

    private static String need(String[] args, int i, String opt) {
        if (i >= args.length) die(opt + " needs a value");
        return args[i];
    }

    private static List<String> splitList(String s) {
        List<String> l = new ArrayList<>();
        for (String p : s.split(",")) if (!p.isBlank()) l.add(p.trim());
        return l;
    }

    private static void die(String msg) {
        System.err.println(engine.launcherName() + ": " + msg);
        usage(System.err);
        System.exit(2);
    }

    /** Reads field 22 (start time) of /proc/PID/stat, or null when gone or a zombie. */
    private static String procStartTime(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.US_ASCII);
            String rest = stat.substring(stat.lastIndexOf(')') + 2); // after "comm) "
            String[] f = rest.trim().split(" ");
            if (f[0].equals("Z") || f[0].equals("X")) return null; // dead, not yet reaped
            return f[19]; // field 22 overall; rest starts at field 3
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static void writeAtomically(Path file, String content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Closes the node once; used by the shutdown hook (SIGTERM, System.exit). */
    private static synchronized void closeNode() {
        Started n = node;
        node = null;
        if (n == null) return;
        try {
            if (!n.close(20)) realErr.println(engine.launcherName() + ": node did not close within 20 s");
        } catch (Exception e) {
            realErr.println(engine.launcherName() + ": error while closing node: " + e);
        } finally {
            closed.countDown();
        }
    }

    private static void exitSoon(String why) {
        realErr.println(engine.launcherName() + ": " + why + "; shutting down");
        // System.exit runs the shutdown hook, which closes the node.
        Thread t = new Thread(() -> System.exit(0), "launcher-exit");
        t.setDaemon(false);
        t.start();
    }

    private static String log4j2Properties(String level) {
        return String.join("\n",
            "# Written by sgcache's " + engine.launcherName() + "; rewritten at every start.",
            "status = error",
            "appender.console.type = Console",
            "appender.console.name = console",
            "appender.console.target = SYSTEM_ERR",
            "appender.console.layout.type = PatternLayout",
            "appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%n",
            "rootLogger.level = " + level,
            "rootLogger.appenderRef.console.ref = console",
            "# A WARN at every start that says nothing useful here.",
            "logger.dangling.name = " + engine.rootPackage() + ".gateway.DanglingIndicesState",
            "logger.dangling.level = error",
            "");
    }

    private static void run(String[] args) throws Exception {
        Options o = parse(args);

        // Watchers start first so that a parent dying during startup is noticed too.
        if (o.watchPid > 0) {
            final String startTime = procStartTime(o.watchPid);
            if (startTime == null) {
                System.err.println(engine.launcherName() + ": --watch-pid " + o.watchPid + " is not running");
                System.exit(3);
            }
            Thread w = new Thread(() -> {
                while (true) {
                    try { Thread.sleep(500); } catch (InterruptedException e) { return; }
                    if (!startTime.equals(procStartTime(o.watchPid))) {
                        exitSoon("watched process " + o.watchPid + " is gone");
                        return;
                    }
                }
            }, "launcher-watch-pid");
            w.setDaemon(true);
            w.start();
        }
        if (o.exitOnStdinEof) {
            final InputStream in = new FileInputStream(FileDescriptor.in);
            Thread r = new Thread(() -> {
                byte[] buf = new byte[256];
                try {
                    while (in.read(buf) >= 0) { /* discard */ }
                } catch (IOException ignored) {
                    // treat a read error like EOF
                }
                exitSoon("standard input closed");
            }, "launcher-stdin-eof");
            r.setDaemon(true);
            r.start();
        }

        Path home = o.home;
        Path config = home.resolve("config");
        for (String d : new String[] {"config", "data", "logs", "modules", "plugins"}) {
            Files.createDirectories(home.resolve(d));
        }
        Files.writeString(config.resolve("log4j2.properties"), log4j2Properties(o.logLevel), StandardCharsets.UTF_8);
        Files.deleteIfExists(home.resolve("http.url"));
        Files.deleteIfExists(home.resolve("transport.port"));

        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("path.home", home.toString());
        settings.put("path.data", home.resolve("data").toString());
        settings.put("path.logs", home.resolve("logs").toString());
        settings.put("cluster.name", o.clusterName);
        settings.put("node.name", o.nodeName);
        settings.put("network.host", "127.0.0.1");
        settings.put("http.port", Integer.toString(o.httpPort));
        settings.put("transport.port", "0");
        settings.put("cluster.routing.allocation.disk.threshold_enabled", "false");
        if (!o.roles.isEmpty()) {
            List<String> roles = new ArrayList<>();
            for (String r : o.roles) {
                roles.add(r.equals("cluster_manager") || r.equals("master") ? engine.managerRole() : r);
            }
            settings.put("node.roles", roles);
        }
        if (o.bootstrapCluster) {
            settings.put(engine.initialManagersSetting(), List.of(o.nodeName));
            settings.put("discovery.seed_hosts", List.of());
        } else if (!o.seedHosts.isEmpty() || o.seedFile) {
            settings.put("discovery.seed_hosts", o.seedHosts);
            if (o.seedFile) {
                // The file seed provider of both engines: config/unicast_hosts.txt, re-read at
                // every discovery round.
                settings.put("discovery.seed_providers", List.of("file"));
                Path hosts = config.resolve("unicast_hosts.txt");
                if (!Files.exists(hosts)) Files.writeString(hosts, "", StandardCharsets.UTF_8);
            }
        } else {
            settings.put("discovery.type", "single-node");
        }

        Runtime.getRuntime().addShutdownHook(new Thread(NodeLauncher::closeNode, "launcher-shutdown"));
        Started n = engine.start(settings, o, config, b -> node = b);

        String url = "http://" + n.httpAddress() + ":" + n.httpPort();
        writeAtomically(home.resolve("transport.port"), n.transportPort() + "\n");
        writeAtomically(home.resolve("http.url"), url + "\n");
        realOut.println("READY " + url);
        realOut.flush();

        // Node threads are daemons: keep main alive until the node has closed.
        closed.await();
    }

    private NodeLauncher() {}
}
